//! The columnar batch evaluator: statuses of many enterprises against every policy in force.
//!
//! [`Plan::new`] compiles a snapshot once for a date: policies not in force (or not benefits,
//! historical, without a rule) are dropped; parameters become their values at `as_of`; every
//! condition leaf (`Check`) is deduplicated across policies by its expression and near-miss
//! margin, so a sub-condition shared by many policies is evaluated once per block; condition
//! trees lose their labels. [`Columns`] holds the profiles by column; [`Plan::run`] evaluates
//! blocks of [`BLOCK`] rows: derived facts once per block, then each policy's tree over one
//! packed byte per row holding strict, relaxed and gap (see `leaf.rs`: an `All` is a bitwise
//! AND, an `Any` an OR) exactly as `zhengce_rules::judge` decides a status, then the policy's
//! region. An `All` stops as soon as no row of the block can still be eligible, possible or a
//! near miss; a block entirely outside a policy's region never touches its rule (group the rows
//! by region with [`Plan::region_order`] and [`Columns::permute`] to make that the common case).
//!
//! The results equal [`crate::Snapshot::statuses`] (property tests in `tests/columnar.rs`).
//! Reasons, questions, gaps and amounts are not computed here: ask the row path
//! ([`crate::Snapshot::match_policy`]) for the pairs you report.

#![allow(clippy::needless_range_loop)] // lane loops index several slices at once

mod exec;
mod leaf;
mod single;
mod table;
mod vexpr;

use std::collections::HashMap;

use zhengce_model::Date;
use zhengce_model::fact::Profile;
use zhengce_model::schema::FieldType;
use zhengce_model::verdict::Status;
use zhengce_rules::compile::CExpr;
use zhengce_rules::expr::BinOp;
use zhengce_rules::load::{CCond, numeric_threshold};

pub use exec::{BlockResult, Bound, Runner};
pub use single::Single;
pub use table::{Column, Columns, Interner, Kind, LocalCodes, NONE_DATE, NONE_TEXT, RankVec, Ranks, UNRANKED};

use crate::Snapshot;

/// Threshold leaves on a numeric field from which [`Plan::seal`] ranks it.
pub const RANK_MIN_THRESHOLDS: usize = 8;

/// Rows per block: every kernel runs over this many enterprises at a time.
pub const BLOCK: usize = 1024;

/// Status codes in [`BlockResult::statuses`].
pub mod code {
    /// `ineligible`.
    pub const INELIGIBLE: u8 = 0;
    /// `near_miss`.
    pub const NEAR_MISS: u8 = 1;
    /// `possible`.
    pub const POSSIBLE: u8 = 2;
    /// `eligible`.
    pub const ELIGIBLE: u8 = 3;
}

/// The status of a code.
pub fn status_of_code(c: u8) -> Status {
    match c {
        code::ELIGIBLE => Status::Eligible,
        code::POSSIBLE => Status::Possible,
        code::NEAR_MISS => Status::NearMiss,
        _ => Status::Ineligible,
    }
}

/// A condition tree without labels; leaves index [`Plan::leaves`].
#[derive(Clone, Debug)]
pub(crate) enum TNode {
    Leaf(u32),
    All(Vec<TNode>),
    AtLeast(usize, Vec<TNode>),
    Not(Box<TNode>),
}

/// One distinct condition leaf.
#[derive(Clone, Debug)]
pub(crate) struct LeafSpec {
    /// The expression, parameters replaced by their values at `as_of`.
    pub expr: CExpr,
    /// The near-miss margin of the rule, when the leaf is a numeric threshold
    /// (`zhengce_rules::load::numeric_threshold`); read from the compiled rule.
    pub margin: Option<f64>,
    /// How many policy trees use it.
    pub uses: u32,
}

/// One policy of the plan.
#[derive(Clone, Debug)]
pub(crate) struct PlanPolicy {
    pub slug: String,
    pub region: Option<String>,
    pub root: TNode,
}

/// A snapshot compiled for one date.
#[derive(Debug)]
pub struct Plan {
    pub(crate) as_of: Date,
    pub(crate) policies: Vec<PlanPolicy>,
    pub(crate) leaves: Vec<LeafSpec>,
    pub(crate) fields: Vec<(String, FieldType)>,
    pub(crate) derived: Vec<(CExpr, Kind)>,
    pub(crate) derived_needed: Vec<bool>,
    pub(crate) fields_used: Vec<bool>,
    pub(crate) region_field: Option<usize>,
    /// Region facts the plan reads: (field index, name). Their values come from the corpus's
    /// region table by the enterprise's region, never from the profile.
    pub(crate) region_facts: Vec<(usize, String)>,
    pub(crate) region_table: zhengce_rules::load::RegionTable,
}

/// Replaces rule parameters by their values.
fn subst(e: &CExpr, params: &[Option<f64>]) -> CExpr {
    let b = |x: &CExpr| Box::new(subst(x, params));
    match e {
        CExpr::Param(i) => match params.get(*i).copied().flatten() {
            Some(v) => CExpr::Num(v),
            None => CExpr::None,
        },
        CExpr::Not(a) => CExpr::Not(b(a)),
        CExpr::Neg(a) => CExpr::Neg(b(a)),
        CExpr::Bin(op, x, y) => CExpr::Bin(*op, b(x), b(y)),
        CExpr::If(c, x, y) => CExpr::If(b(c), b(x), b(y)),
        CExpr::Call(f, args) => CExpr::Call(*f, args.iter().map(|a| subst(a, params)).collect()),
        CExpr::ParamAt(i, values, date) => CExpr::ParamAt(*i, values.clone(), b(date)),
        other => other.clone(),
    }
}

/// Field and derived indices an expression reads.
fn refs(e: &CExpr, fields: &mut Vec<usize>, derived: &mut Vec<usize>) {
    match e {
        CExpr::Field(i) => fields.push(*i),
        CExpr::Derived(i) => derived.push(*i),
        CExpr::Not(a) | CExpr::Neg(a) => refs(a, fields, derived),
        CExpr::Bin(_, x, y) => {
            refs(x, fields, derived);
            refs(y, fields, derived);
        }
        CExpr::If(c, x, y) => {
            refs(c, fields, derived);
            refs(x, fields, derived);
            refs(y, fields, derived);
        }
        CExpr::Call(_, args) => args.iter().for_each(|a| refs(a, fields, derived)),
        CExpr::ParamAt(_, _, date) => refs(date, fields, derived),
        _ => {}
    }
}

struct Builder {
    leaves: Vec<LeafSpec>,
    index: HashMap<String, u32>,
    /// The plan's date: `Dated` criteria are chosen by it, as the row path does.
    as_of: Date,
}

impl Builder {
    fn leaf(&mut self, expr: CExpr, margin: Option<f64>) -> TNode {
        let key = format!("{expr:?}|{:?}", margin.map(f64::to_bits));
        let id = *self.index.entry(key).or_insert_with(|| {
            self.leaves.push(LeafSpec { expr, margin, uses: 0 });
            (self.leaves.len() - 1) as u32
        });
        self.leaves[id as usize].uses += 1;
        TNode::Leaf(id)
    }

    /// A `Check`: a leaf, or — when its expression is an `and`/`or` (under `not`s) — a tree of
    /// strict leaves. Only a top-level numeric threshold has a near miss, so the parts get no
    /// margin; with no margin every part has relaxed = strict and no gap, and then `All` and
    /// `AtLeast(1)` compute Kleene `and` (min) and `or` (max) exactly as `eval` does.
    fn check(&mut self, expr: CExpr, margin: Option<f64>) -> TNode {
        match expr {
            CExpr::Bin(op @ (BinOp::And | BinOp::Or), a, b) if margin.is_none() => {
                let (a, b) = (self.check(*a, None), self.check(*b, None));
                if op == BinOp::And {
                    let mut v = Vec::new();
                    for x in [a, b] {
                        match x {
                            TNode::All(inner) => v.extend(inner),
                            t => v.push(t),
                        }
                    }
                    TNode::All(v)
                } else {
                    TNode::AtLeast(1, vec![a, b])
                }
            }
            CExpr::Not(x)
                if margin.is_none() && matches!(x.as_ref(), CExpr::Bin(BinOp::And | BinOp::Or, _, _) | CExpr::Not(_)) =>
            {
                TNode::Not(Box::new(self.check(*x, None)))
            }
            expr => self.leaf(expr, margin),
        }
    }

    /// Compiles a condition tree; `act` says whether an enclosing `Act` makes thresholds
    /// actionable (only those can be near misses, as in `zhengce_rules::judge`).
    fn tree(&mut self, c: &CCond, params: &[Option<f64>], margin: f64, act: bool) -> TNode {
        match c {
            CCond::Act(_, inner) => self.tree(inner, params, margin, true),
            CCond::Dated(periods) => {
                let as_of = self.as_of;
                match periods.iter().find(|p| p.from <= as_of && p.to.is_none_or(|t| as_of <= t)) {
                    Some(p) => self.tree(&p.cond, params, margin, act),
                    // No criteria for the date: unknown with nothing missing, like the row path.
                    None => self.check(CExpr::None, None),
                }
            }
            CCond::Check(e, _) => {
                let expr = subst(e, params);
                let margin = if act { numeric_threshold(&expr).map(|_| margin) } else { None };
                self.check(expr, margin)
            }
            CCond::Named(_, inner) => self.tree(inner, params, margin, act),
            CCond::Not(inner) => TNode::Not(Box::new(self.tree(inner, params, margin, act))),
            CCond::All(cs) => {
                // All inside All is one All (min is associative; the gap rule commutes with it).
                let mut out = Vec::new();
                for c in cs {
                    match self.tree(c, params, margin, act) {
                        TNode::All(inner) => out.extend(inner),
                        t => out.push(t),
                    }
                }
                TNode::All(out)
            }
            CCond::Any(cs) => TNode::AtLeast(1, cs.iter().map(|c| self.tree(c, params, margin, act)).collect()),
            CCond::AtLeast(k, cs) => TNode::AtLeast(*k, cs.iter().map(|c| self.tree(c, params, margin, act)).collect()),
        }
    }
}

impl Plan {
    /// Compiles the policies matchable on `as_of` (the same set and order as [`Snapshot::statuses`]).
    pub fn new(snapshot: &Snapshot, as_of: Date) -> Plan {
        let mut b = Builder { leaves: Vec::new(), index: HashMap::new(), as_of };
        let mut policies = Vec::new();
        let (mut fields, mut derived, mut derived_needed, mut fields_used) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut region_field = None;
        let mut region_facts = Vec::new();
        let mut region_table = zhengce_rules::load::RegionTable::default();
        if let Some(rs) = snapshot.rules() {
            for p in snapshot.policies() {
                if !snapshot.matchable(p, as_of) {
                    continue;
                }
                let Some(rule) = snapshot.rule(&p.meta.slug) else { continue };
                let params = rule.params_at(as_of);
                let root = b.tree(&rule.cond, &params, rule.margin, false);
                policies.push(PlanPolicy { slug: p.meta.slug.clone(), region: p.meta.region.clone(), root });
            }
            fields = rs.schema.fields.iter().map(|f| (f.name.clone(), f.ty.clone())).collect();
            derived = rs.schema.derived.iter().map(|d| (d.expr.clone(), Kind::of(&d.def.ty))).collect();
            fields_used = vec![false; fields.len()];
            derived_needed = vec![false; derived.len()];
            let (mut fs, mut ds) = (Vec::new(), Vec::new());
            for l in &b.leaves {
                refs(&l.expr, &mut fs, &mut ds);
            }
            // Derived facts are in evaluation order: walk back so needs propagate to earlier ones.
            for &d in &ds {
                if let Some(x) = derived_needed.get_mut(d) {
                    *x = true;
                }
            }
            for d in (0..derived.len()).rev() {
                if derived_needed[d] {
                    let (mut f2, mut d2) = (Vec::new(), Vec::new());
                    refs(&derived[d].0, &mut f2, &mut d2);
                    fs.extend(f2);
                    for x in d2 {
                        if let Some(n) = derived_needed.get_mut(x) {
                            *n = true;
                        }
                    }
                }
            }
            for f in fs {
                if let Some(u) = fields_used.get_mut(f) {
                    *u = true;
                }
            }
            region_facts = rs
                .schema
                .fields
                .iter()
                .enumerate()
                .filter(|(i, f)| f.region_fact && fields_used.get(*i).copied().unwrap_or(false))
                .map(|(i, f)| (i, f.name.clone()))
                .collect();
            region_table = rs.region.clone();
            region_field = fields.iter().position(|(n, _)| n == "region");
            // The region is read by regional policies and picks the region facts
            // (`Plan::fill_region_facts`), even when no rule reads the region itself.
            if let Some(r) = region_field
                && (policies.iter().any(|p| p.region.is_some()) || !region_facts.is_empty())
            {
                fields_used[r] = true;
            }
        }
        Plan {
            as_of,
            policies,
            leaves: b.leaves,
            fields,
            derived,
            derived_needed,
            fields_used,
            region_field,
            region_facts,
            region_table,
        }
    }

    /// The matching date.
    pub fn as_of(&self) -> Date {
        self.as_of
    }

    /// The policies evaluated, in slug order (column `p` of every result).
    pub fn slugs(&self) -> impl Iterator<Item = &str> {
        self.policies.iter().map(|p| p.slug.as_str())
    }

    /// Number of policies.
    pub fn policy_count(&self) -> usize {
        self.policies.len()
    }

    /// Number of distinct condition leaves, and of leaf uses across policies.
    pub fn leaf_counts(&self) -> (usize, usize) {
        (self.leaves.len(), self.leaves.iter().map(|l| l.uses as usize).sum())
    }

    /// An empty table holding the fields this plan reads.
    pub fn columns(&self) -> Columns {
        Columns::new(&self.fields, &self.fields_used)
    }

    /// A table of `profiles`.
    pub fn columns_of<'p>(&self, profiles: impl IntoIterator<Item = &'p Profile>) -> Columns {
        let mut c = self.columns();
        for p in profiles {
            self.push(&mut c, p);
        }
        c.seal();
        c
    }

    /// The row order that groups `cols` by region ([`Columns::order_by_text`] on the region
    /// field; the identity when the schema has none). Evaluating a table reordered with it
    /// ([`Columns::permute`]) gives the same statuses per enterprise, in the new row order, and
    /// city and county policies skip the blocks outside their region.
    pub fn region_order(&self, cols: &Columns) -> Vec<u32> {
        match self.region_field {
            Some(r) => cols.order_by_text(r),
            None => (0..cols.len() as u32).collect(),
        }
    }

    /// Appends one enterprise to `cols`, with the region facts of its region filled in from the
    /// corpus (as the row path reads them), so region-dependent policies agree with it.
    pub fn push(&self, cols: &mut Columns, profile: &Profile) {
        cols.push(self.with_region_facts(profile).as_ref());
    }

    /// The profile with the region facts the plan reads taken from the corpus's region table.
    pub fn with_region_facts<'p>(&self, profile: &'p Profile) -> std::borrow::Cow<'p, Profile> {
        if self.region_facts.is_empty() {
            return std::borrow::Cow::Borrowed(profile);
        }
        let region = match profile.get("region") {
            Some(zhengce_model::fact::FactValue::Text(r)) => Some(r.as_str()),
            _ => None,
        };
        let mut p = profile.clone();
        for (i, name) in &self.region_facts {
            match self.region_table.lookup(*i, region, self.as_of).value() {
                Some(v) => p.insert(name.clone(), v.clone()),
                None => p.remove(name),
            };
        }
        std::borrow::Cow::Owned(p)
    }

    /// Sets the region facts the plan reads in `values` (values by schema field index, as
    /// [`Columns::push_values`] takes them) from the corpus's region table by the value of the
    /// region field: what [`Plan::with_region_facts`] does for a profile, without copying it.
    pub fn fill_region_facts(&self, values: &mut [Option<zhengce_model::fact::FactValue>]) {
        if self.region_facts.is_empty() {
            return;
        }
        let region = match self.region_field.and_then(|r| values.get(r)) {
            Some(Some(zhengce_model::fact::FactValue::Text(r))) => Some(r.clone()),
            _ => None,
        };
        for (i, _) in &self.region_facts {
            let v = self.region_table.lookup(*i, region.as_deref(), self.as_of).value().cloned();
            if let Some(slot) = values.get_mut(*i) {
                *slot = v;
            }
        }
    }

    /// Seals `cols` ([`Columns::seal_ranking`]) ranking only the numeric fields that at least
    /// [`RANK_MIN_THRESHOLDS`] distinct threshold leaves of the plan compare with a constant:
    /// the sort that ranking costs is repaid only by many such leaves (the synthetic corpus of
    /// 1,000 policies has dozens per field; the real one a few), and an unranked field is
    /// compared as doubles with the same result.
    pub fn seal(&self, cols: &mut Columns) -> usize {
        let mut per_field = vec![0usize; self.fields.len()];
        for l in &self.leaves {
            if let CExpr::Bin(op, x, c) = &l.expr
                && op.is_comparison()
                && let (CExpr::Field(i), CExpr::Num(_)) = (x.as_ref(), c.as_ref())
                && let Some(n) = per_field.get_mut(*i)
            {
                *n += 1;
            }
        }
        cols.seal_ranking(|i| per_field.get(i).is_some_and(|&n| n >= RANK_MIN_THRESHOLDS))
    }

    /// Number of schema fields (the length of a row of values by field index).
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }

    /// Statuses of every row of `cols` against every policy: `out[row][policy]`. For tests and
    /// small batches; large batches should consume [`Runner::run`] block by block.
    pub fn statuses(&self, cols: &Columns) -> Vec<Vec<Status>> {
        let mut out = vec![Vec::with_capacity(self.policies.len()); cols.len()];
        let bound = self.bind(cols);
        let mut runner = bound.runner();
        runner.run(0..cols.len(), |b| {
            for (i, row) in out[b.start..b.start + b.len].iter_mut().enumerate() {
                row.extend((0..b.policies).map(|p| status_of_code(b.status(p, i))));
            }
        });
        out
    }
}

//! Verdicts: evaluates a rule's condition tree against an enterprise's facts.
//!
//! Every condition is evaluated and reported (no short-circuit hides why). Each node yields a
//! strict three-valued result and a relaxed one in which numeric thresholds missed by at most the
//! rule's margin count as met; the pair decides between `near_miss` and `ineligible`.

use zhengce_model::Date;
use zhengce_model::fact::{FactValue, Profile};
use zhengce_model::policy::Confidence;
use zhengce_model::verdict::{Benefit, Gap, Missing, Outcome, Reason, Status};

use crate::compile::CExpr;
use crate::eval::{Env, Mask, V, Val, eval};
use crate::expr::BinOp;
use crate::format::{self, Style};
use crate::load::{CBenefit, CCond, CompiledRule, Piece, RegionValue, RuleSet, Slot, numeric_threshold, type_of};

/// An enterprise's facts at a date: input fields by schema index (region facts looked up for its
/// registered region) and derived values.
pub struct Facts<'a> {
    fields: Vec<Option<&'a FactValue>>,
    derived: Vec<V<'a>>,
    as_of: Date,
    /// The registered region, when known.
    region: Option<&'a str>,
    /// Region facts as they apply here, with their field index, ascending (only region facts).
    regional: Vec<(usize, RegionValue<'a>)>,
}

impl<'a> Facts<'a> {
    /// Derived facts that could be computed, by name.
    pub fn known_derived(&self, rs: &'a RuleSet) -> Vec<(&'a str, Val<'a>)> {
        rs.schema
            .derived
            .iter()
            .zip(&self.derived)
            .filter(|(_, v)| v.val != Val::Unknown)
            .map(|(d, v)| (d.def.name.as_str(), v.val))
            .collect()
    }

    /// The matching date.
    pub fn as_of(&self) -> Date {
        self.as_of
    }

    /// The registered region, when known.
    pub fn region(&self) -> Option<&'a str> {
        self.region
    }

    /// How region fact `field` applies here (`None` when `field` is not a region fact).
    pub fn region_value(&self, field: usize) -> Option<RegionValue<'a>> {
        self.regional.binary_search_by_key(&field, |(i, _)| *i).ok().map(|k| self.regional[k].1)
    }
}

impl RuleSet {
    /// Computes the derived facts of `profile` at `as_of`.
    pub fn facts<'a>(&'a self, profile: &'a Profile, as_of: Date) -> Facts<'a> {
        self.facts_with(profile, as_of, None)
    }

    /// As [`RuleSet::facts`], with region facts given (an example's `region_facts`) instead of
    /// looked up.
    pub fn facts_with<'a>(&'a self, profile: &'a Profile, as_of: Date, given: Option<&'a Profile>) -> Facts<'a> {
        let region = match profile.get("region") {
            Some(FactValue::Text(r)) => Some(r.as_str()),
            _ => None,
        };
        let regional: Vec<(usize, RegionValue<'a>)> = self
            .schema
            .region_facts()
            .iter()
            .filter_map(|&i| {
                let f = self.schema.fields.get(i)?;
                let rv = match given.and_then(|g| g.get(&f.name)) {
                    Some(v) => RegionValue::Given(v),
                    None => self.region.lookup(i, region, as_of),
                };
                Some((i, rv))
            })
            .collect();
        // Input fields by index: the profile's entries placed by name (one lookup per given fact,
        // not one per schema field), region facts from their lookup.
        let mut fields: Vec<Option<&FactValue>> = vec![None; self.schema.fields.len()];
        for (name, v) in profile {
            if let Some(crate::schema::Slot::Field(i)) = self.schema.slot(name)
                && let Some(slot) = fields.get_mut(i)
            {
                *slot = Some(v);
            }
        }
        for &(i, rv) in &regional {
            if let Some(slot) = fields.get_mut(i) {
                *slot = rv.value();
            }
        }
        let mut derived: Vec<V<'a>> = Vec::with_capacity(self.schema.derived.len());
        for d in &self.schema.derived {
            let v = {
                let env = Env { fields: &fields, derived: &derived, params: &[], as_of };
                eval(&d.expr, &env)
            };
            derived.push(v);
        }
        Facts { fields, derived, as_of, region, regional }
    }

    /// Judges one rule.
    pub fn judge<'a>(&'a self, rule: &'a CompiledRule, facts: &Facts<'a>) -> Judgement {
        let params = Params::at(rule, facts.as_of);
        let env = Env { fields: &facts.fields, derived: &facts.derived, params: params.as_slice(), as_of: facts.as_of };
        let ctx = Ctx { rs: self, rule, env: &env, facts, explain: true, pessimistic: false };
        // One more for the region condition a caller may put first.
        let mut reasons = Vec::with_capacity(rule.max_reasons + 1);
        let mut leaves = Vec::with_capacity(rule.max_reasons);
        let root = ctx.node(&rule.cond, 0, None, &mut reasons, &mut leaves);
        let status = root.status();
        let (mut missing, mut region_missing) = (Vec::new(), Vec::new());
        if status == Status::Possible {
            let mut firm = Mask::default();
            for i in root.missing.iter() {
                match (self.schema.is_region_fact(i), facts.region) {
                    (false, _) => firm = firm.or(&Mask::one(i)),
                    // The region fact is unknown because the enterprise's region is: ask that.
                    (true, None) => {
                        if let Some(crate::schema::Slot::Field(r)) = self.schema.slot("region") {
                            firm = firm.or(&Mask::one(r));
                        }
                    }
                    (true, Some(_)) => region_missing.push(i),
                }
            }
            // A verdict that fails whenever an unconfirmed region fact turns out against it asks
            // the enterprise nothing yet: officers confirm the region fact first.
            if !region_missing.is_empty() && ctx.fails_without_region_facts() {
                firm = Mask::default();
            }
            // A fact whose gate is also unknown waits for the gate.
            let held: Vec<usize> =
                firm.iter().filter(|&i| self.schema.gates.get(i).copied().flatten().is_some_and(|g| firm.contains(g))).collect();
            let firm = firm.iter().filter(|i| !held.contains(i)).fold(Mask::default(), |m, i| m.or(&Mask::one(i)));
            missing = self.questions(firm);
        }
        if status == Status::Possible && missing.is_empty() && region_missing.is_empty() {
            // Unknown without a missing fact: a parameter not published for this date, or a
            // quantity that cannot be computed (e.g. a rate over zero insured staff).
            missing.push(Missing {
                field: "policy_parameters".into(),
                question: "部分判定参数在该日期尚未公布或无法计算，请向主管部门确认".into(),
            });
        }
        let gaps = if status == Status::NearMiss { root.gaps } else { Vec::new() };
        let benefit = if status == Status::Ineligible { None } else { rule.benefit.as_ref().and_then(|b| ctx.benefit(b)) };
        // What decided the verdict: the leaves that hold (eligible), fail (ineligible, near miss),
        // or hold or are unknown (possible), leaving out alternatives already settled.
        let mut decided = Decided::default();
        for (r, leaf) in reasons.iter().zip(&leaves) {
            let Some(leaf) = leaf else { continue };
            let deciding = !r.settled
                && match status {
                    Status::Eligible => r.outcome == Outcome::Pass,
                    Status::Ineligible | Status::NearMiss => r.outcome == Outcome::Fail,
                    Status::Possible => r.outcome != Outcome::Fail,
                };
            if deciding {
                decided.add(leaf.confidence);
                for &f in &leaf.region {
                    if !decided.region_facts.contains(&f) {
                        decided.region_facts.push(f);
                    }
                }
            }
        }
        if let (Some(_), Some(b)) = (&benefit, &rule.benefit) {
            decided.add(ctx.confidence_of(&b.amount).confidence);
        }
        Judgement { status, reasons, missing, region_missing, gaps, benefit, decided }
    }

    /// The status alone, without reasons, gap texts or benefit: the same decision as
    /// [`RuleSet::judge`] at a fraction of the cost, for batch matching.
    pub fn status<'a>(&'a self, rule: &'a CompiledRule, facts: &Facts<'a>) -> Status {
        let params = Params::at(rule, facts.as_of);
        let env = Env { fields: &facts.fields, derived: &facts.derived, params: params.as_slice(), as_of: facts.as_of };
        let ctx = Ctx { rs: self, rule, env: &env, facts, explain: false, pessimistic: false };
        ctx.node(&rule.cond, 0, None, &mut Vec::new(), &mut Vec::new()).status()
    }

    /// The questions for a set of missing fields, in schema order.
    pub fn questions(&self, mask: Mask) -> Vec<Missing> {
        mask.iter()
            .filter_map(|i| self.schema.fields.get(i))
            .map(|f| Missing { field: f.name.clone(), question: f.question.clone() })
            .collect()
    }
}

/// A rule's parameter values at a date ([`CompiledRule::params_at`]), on the stack when few.
#[expect(clippy::large_enum_variant, reason = "lives on the stack for one judgement: that is its point")]
enum Params {
    Inline([Option<f64>; Params::INLINE], usize),
    Heap(Vec<Option<f64>>),
}

impl Params {
    const INLINE: usize = 16;

    fn at(rule: &CompiledRule, as_of: Date) -> Params {
        if rule.params.len() > Self::INLINE {
            return Params::Heap(rule.params_at(as_of));
        }
        let mut values = [None; Self::INLINE];
        for (slot, (_, vs)) in values.iter_mut().zip(&rule.params) {
            *slot = vs.iter().find(|v| v.from <= as_of && v.to.is_none_or(|t| as_of <= t)).and_then(|v| v.value);
        }
        Params::Inline(values, rule.params.len())
    }

    fn as_slice(&self) -> &[Option<f64>] {
        match self {
            Params::Inline(values, n) => values.get(..*n).unwrap_or(values),
            Params::Heap(values) => values,
        }
    }
}

/// The verdict of one rule for one enterprise.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// Status.
    pub status: Status,
    /// Reasons, condition by condition.
    pub reasons: Vec<Reason>,
    /// Missing facts to ask the enterprise (only when `possible`).
    pub missing: Vec<Missing>,
    /// Unknown region facts the verdict waits on, by field index (only when `possible`).
    pub region_missing: Vec<usize>,
    /// The confidence of what decided the verdict, and the region facts it read.
    pub decided: Decided,
    /// Gaps (only when `near_miss`).
    pub gaps: Vec<Gap>,
    /// Estimated benefit.
    pub benefit: Option<Benefit>,
}

/// What decided a verdict: the lowest confidence mark among the deciding criteria (and the
/// parameters of a shown amount), whether any of them carries no mark (it then counts at the
/// policy's own mark), and the region facts they read (field indices).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decided {
    /// The lowest mark, when any deciding fact has one.
    pub lowest: Option<Confidence>,
    /// Whether a deciding criterion has no mark of its own.
    pub unmarked: bool,
    /// Region facts read by deciding criteria, by field index.
    pub region_facts: Vec<usize>,
}

impl Decided {
    fn add(&mut self, c: Option<Confidence>) {
        match c {
            Some(c) => self.lowest = Some(self.lowest.map_or(c, |l| l.max(c))),
            None => self.unmarked = true,
        }
    }

    /// The result's confidence given the policy's own mark (for unmarked facts).
    pub fn confidence(&self, policy: Confidence) -> Confidence {
        match (self.lowest, self.unmarked) {
            (Some(l), true) => l.max(policy),
            (Some(l), false) => l,
            (None, _) => policy,
        }
    }
}

/// The confidence of one criterion (a leaf): its lowest mark, and the region facts it reads.
#[derive(Clone, Debug, Default)]
struct LeafConf {
    confidence: Option<Confidence>,
    region: Vec<usize>,
}

struct Node {
    strict: Option<bool>,
    relaxed: Option<bool>,
    missing: Mask,
    gaps: Vec<Gap>,
}

impl Node {
    /// The verdict of a root node (the one place the contract's four statuses are decided).
    fn status(&self) -> Status {
        match (self.strict, self.relaxed) {
            (Some(true), _) => Status::Eligible,
            (None, _) => Status::Possible,
            (Some(false), Some(true) | None) if !self.gaps.is_empty() => Status::NearMiss,
            _ => Status::Ineligible,
        }
    }
}

struct Ctx<'a, 'e> {
    rs: &'a RuleSet,
    rule: &'a CompiledRule,
    env: &'e Env<'a, 'e>,
    facts: &'e Facts<'a>,
    /// Whether to write reasons and gap texts (off for status-only batch matching).
    explain: bool,
    /// Whether a criterion unknown only for want of region facts counts as failing (to see whether
    /// the verdict hinges on them).
    pessimistic: bool,
}

fn outcome(b: Option<bool>) -> Outcome {
    match b {
        Some(true) => Outcome::Pass,
        Some(false) => Outcome::Fail,
        None => Outcome::Unknown,
    }
}

impl<'a> Ctx<'a, '_> {
    /// Judges `c`; `act` is the action template of the nearest enclosing `Act`, if any (only
    /// thresholds inside one can be near misses).
    fn node(
        &self,
        c: &'a CCond,
        depth: usize,
        act: Option<&'a [Piece]>,
        reasons: &mut Vec<Reason>,
        leaves: &mut Vec<Option<LeafConf>>,
    ) -> Node {
        match c {
            CCond::Act(pieces, inner) => self.node(inner, depth, Some(pieces), reasons, leaves),
            CCond::Dated(periods) => {
                let as_of = self.env.as_of;
                let Some(p) = periods.iter().find(|p| p.from <= as_of && p.to.is_none_or(|t| as_of <= t)) else {
                    // No criteria for this date (the policy is not in force then): unknown, like an
                    // unpublished parameter.
                    if self.explain {
                        let text = format!("{as_of} 没有适用的认定标准");
                        reasons.push(Reason { outcome: Outcome::Unknown, text, depth, settled: false, confidence: None });
                    }
                    return Node { strict: None, relaxed: None, missing: Mask::default(), gaps: Vec::new() };
                };
                if !self.explain {
                    return self.node(&p.cond, depth, act, reasons, leaves);
                }
                let mut text = String::with_capacity(p.source.len() + 48);
                {
                    use std::fmt::Write;
                    let _ = match p.to {
                        Some(to) => write!(text, "适用标准：{}（{}至{to}）", p.source, p.from),
                        None => write!(text, "适用标准：{}（{}起）", p.source, p.from),
                    };
                }
                let at = reasons.len();
                reasons.push(Reason { outcome: Outcome::Unknown, text, depth, settled: false, confidence: None });
                let node = self.node(&p.cond, depth + 1, act, reasons, leaves);
                reasons[at].outcome = outcome(node.strict);
                node
            }
            CCond::Check(e, src) => {
                let mut text = if self.explain { String::with_capacity(96) } else { String::new() };
                let node = self.leaf(e, src, act, None, &mut text);
                if self.explain {
                    self.push_leaf(
                        e,
                        Reason { outcome: outcome(node.strict), text, depth, settled: false, confidence: None },
                        reasons,
                        leaves,
                    );
                }
                node
            }
            CCond::Named(_, inner) if !self.explain => self.node(inner, depth, act, reasons, leaves),
            CCond::Named(label, inner) => {
                if let CCond::Check(e, src) = inner.as_ref() {
                    let is_bool_test = match e {
                        CExpr::Bin(BinOp::Eq | BinOp::Ne, _, b) => {
                            matches!(b.as_ref(), CExpr::Bool(_))
                        }
                        CExpr::Bin(op, _, _) => !op.is_comparison(),
                        _ => true,
                    };
                    // A comparison is shown as `label（reason）`, written in one buffer.
                    let mut text = String::with_capacity(96 + label.len());
                    if !is_bool_test {
                        text.push_str(label);
                        text.push('（');
                    }
                    let node = self.leaf(e, src, act, Some(label), &mut text);
                    let text = match (is_bool_test, node.strict) {
                        (false, _) => {
                            text.push('）');
                            text
                        }
                        // The criterion's own text is replaced by the label (in the same buffer).
                        (true, Some(false)) if matches!(e, CExpr::Bin(BinOp::Eq | BinOp::Ne, _, _)) => {
                            // The yes/no fact that decided it, without repeating the requirement.
                            let fact = text.find("（要求").unwrap_or(text.len());
                            text.truncate(fact);
                            text.insert_str(0, "：不满足（");
                            text.insert_str(0, label);
                            text.push('）');
                            text
                        }
                        (true, strict) => {
                            text.clear();
                            text.push_str(label);
                            match strict {
                                Some(true) => {}
                                Some(false) => text.push_str("：不满足"),
                                None => text.push_str("：待确认"),
                            }
                            text
                        }
                    };
                    let reason = Reason { outcome: outcome(node.strict), text, depth, settled: false, confidence: None };
                    self.push_leaf(e, reason, reasons, leaves);
                    return node;
                }
                let at = reasons.len();
                reasons.push(Reason { outcome: Outcome::Unknown, text: label.clone(), depth, settled: false, confidence: None });
                leaves.push(None);
                let node = self.node(inner, depth + 1, act, reasons, leaves);
                reasons[at].outcome = outcome(node.strict);
                node
            }
            CCond::Not(inner) => {
                let n = self.node(inner, depth, act, reasons, leaves);
                let flip = n.strict.map(|b| !b);
                Node { strict: flip, relaxed: flip, missing: n.missing, gaps: Vec::new() }
            }
            CCond::All(cs) => {
                let mut all = AllOf::default();
                for c in cs {
                    all.add(self.node(c, depth, act, reasons, leaves));
                }
                all.finish()
            }
            CCond::Any(cs) => self.alternatives(1, cs, depth, act, reasons, leaves),
            CCond::AtLeast(k, cs) => self.alternatives(*k, cs, depth, act, reasons, leaves),
        }
    }

    /// Records a criterion's reason with its confidence: secondary or general-knowledge facts say
    /// 待核实 next to them.
    fn push_leaf(&self, e: &'a CExpr, mut reason: Reason, reasons: &mut Vec<Reason>, leaves: &mut Vec<Option<LeafConf>>) {
        let conf = self.confidence_of(e);
        if let Some(c) = conf.confidence.filter(|c| *c != Confidence::V) {
            reason.confidence = Some(c);
            if let Some(caveat) = c.caveat() {
                reason.text.push('（');
                reason.text.push_str(caveat);
                reason.text.push('）');
            }
        }
        reasons.push(reason);
        leaves.push(Some(conf));
    }

    /// The lowest confidence among what an expression reads: parameters (by their value's mark on
    /// the date used), criteria marks of the rule by field or derived fact, region facts (by their
    /// entry's mark); and the region facts it reads.
    fn confidence_of(&self, e: &'a CExpr) -> LeafConf {
        let mut out = LeafConf::default();
        self.walk_confidence(e, &mut out);
        out
    }

    /// [`Ctx::confidence_of`] of one node into `out`: the node first, then its operands from the
    /// last to the first (the order region facts are listed in).
    fn walk_confidence(&self, e: &'a CExpr, out: &mut LeafConf) {
        let put = |c: Option<Confidence>, out: &mut LeafConf| {
            if let Some(c) = c {
                out.confidence = Some(out.confidence.map_or(c, |l: Confidence| l.max(c)));
            }
        };
        match e {
            CExpr::Param(i) => {
                let at = self.facts.as_of;
                let mark = self.rule.params.get(*i).zip(self.rule.param_marks.get(*i)).and_then(|((_, vs), marks)| {
                    let k = vs.iter().position(|v| v.from <= at && v.to.is_none_or(|t| at <= t))?;
                    marks.get(k).copied().flatten()
                });
                put(mark, out);
            }
            CExpr::ParamAt(_, values, date) => {
                if let Val::Date(d) = eval(date, self.env).val {
                    let v = values.iter().find(|v| v.from <= d && v.to.is_none_or(|t| d <= t));
                    put(v.and_then(|v| v.confidence()), out);
                }
                self.walk_confidence(date, out);
            }
            CExpr::Field(i) => {
                put(self.rule.field_marks.get(i).copied(), out);
                if let Some(rv) = self.facts.region_value(*i) {
                    if let RegionValue::Entry(entry) = rv {
                        put(Some(entry.confidence), out);
                    }
                    if !out.region.contains(i) {
                        out.region.push(*i);
                    }
                }
            }
            CExpr::Derived(i) => put(self.rule.derived_marks.get(i).copied(), out),
            CExpr::Not(a) | CExpr::Neg(a) => self.walk_confidence(a, out),
            CExpr::Bin(_, a, b) => {
                self.walk_confidence(b, out);
                self.walk_confidence(a, out);
            }
            CExpr::If(c, a, b) => {
                self.walk_confidence(b, out);
                self.walk_confidence(a, out);
                self.walk_confidence(c, out);
            }
            CExpr::Call(_, args) => {
                for a in args.iter().rev() {
                    self.walk_confidence(a, out);
                }
            }
            CExpr::Num(_) | CExpr::Text(_) | CExpr::Bool(_) | CExpr::None | CExpr::AsOf => {}
        }
    }

    /// Whether the verdict fails (ineligible or near miss) once every criterion that is unknown only
    /// for want of region facts counts as failing: the region facts then gate everything else.
    fn fails_without_region_facts(&self) -> bool {
        let ctx = Ctx { explain: false, pessimistic: true, ..*self };
        let status = ctx.node(&self.rule.cond, 0, None, &mut Vec::new(), &mut Vec::new()).status();
        matches!(status, Status::Ineligible | Status::NearMiss)
    }

    /// `Any` / `AtLeast`: once the group holds, the alternatives that do not are marked settled.
    fn alternatives(
        &self,
        k: usize,
        cs: &'a [CCond],
        depth: usize,
        act: Option<&'a [Piece]>,
        reasons: &mut Vec<Reason>,
        leaves: &mut Vec<Option<LeafConf>>,
    ) -> Node {
        let start = reasons.len();
        let mut any = AtLeastOf::default();
        for c in cs {
            any.add(self.node(c, depth, act, reasons, leaves));
        }
        let node = any.finish(k);
        if node.strict == Some(true) {
            for r in &mut reasons[start..] {
                r.settled |= r.outcome != Outcome::Pass;
            }
        }
        node
    }

    fn describe(&self, e: &CExpr) -> Option<(&'a str, &'a str, &'a zhengce_model::schema::FieldType)> {
        type_of(&self.rs.schema, e)
    }

    /// Appends a value as shown in a reason: with the unit of `e_for_type` (or of `other`).
    fn push_show(&self, out: &mut String, v: &V<'_>, e_for_type: &CExpr, other: &CExpr) {
        let d = self.describe(e_for_type).or_else(|| self.describe(other));
        match (v.val, d) {
            (Val::Unknown, _) => match self.describe(e_for_type) {
                Some((label, _, _)) => {
                    out.push_str(label);
                    out.push_str("（未知）");
                }
                None => out.push_str("未知"),
            },
            (val, Some((_, unit, ty))) => format::push_value(out, &val, Some(ty), unit),
            (val, None) => format::push_value(out, &val, None, ""),
        }
    }

    /// Judges one criterion, appending its reason to `text` (when explaining).
    fn leaf(&self, e: &'a CExpr, src: &str, act: Option<&'a [Piece]>, named: Option<&str>, text: &mut String) -> Node {
        // A comparison's operands are evaluated once: its reason shows them.
        let (v, operands) = match e {
            CExpr::Bin(op, lhs, rhs) if self.explain && op.is_comparison() => {
                let (a, b) = (eval(lhs, self.env), eval(rhs, self.env));
                (crate::eval::bin(*op, a.clone(), b.clone()), Some((a, b)))
            }
            _ => (eval(e, self.env), None),
        };
        let mut strict = v.as_bool();
        if self.pessimistic
            && strict.is_none()
            && !v.missing.is_empty()
            && v.missing.iter().all(|i| self.rs.schema.is_region_fact(i))
        {
            strict = Some(false);
        }
        let missing = if strict.is_none() { v.missing } else { Mask::default() };
        let mut node = Node { strict, relaxed: strict, missing, gaps: Vec::new() };
        if !self.explain {
            if strict == Some(false)
                && act.is_some()
                && let Some((op, lhs, rhs)) = numeric_threshold(e)
                && let (Some(x), Some(y)) = (eval(lhs, self.env).as_num(), eval(rhs, self.env).as_num())
                && self.near_miss(op, x, y).is_some()
            {
                node.relaxed = Some(true);
                node.gaps.push(Gap { field: String::new(), current: x, required: y, text: String::new() });
            }
            return node;
        }
        let CExpr::Bin(op, lhs, rhs) = e else {
            match (e, self.describe(e)) {
                (_, Some((label, _, _))) => text.push_str(label),
                _ => text.push_str(src),
            }
            text.push('：');
            format::push_value(text, &v.val, None, "");
            return node;
        };
        if !op.is_comparison() {
            text.push_str(src);
            text.push('：');
            format::push_value(text, &v.val, None, "");
            return node;
        }
        let (a, b) = operands.unwrap_or_else(|| (eval(lhs, self.env), eval(rhs, self.env)));
        let label: &str = match self.describe(lhs) {
            Some((l, _, _)) => l,
            None => src.split(op.source()).next().unwrap_or(src).trim(),
        };
        let b_shown = match (b.val, self.describe(lhs).map(|(_, _, t)| t)) {
            // "at least 6.75 people" means 7: show a count threshold as the whole number it implies.
            (Val::Num(n), Some(zhengce_model::schema::FieldType::Count)) if n.fract() != 0.0 => {
                let whole = match op {
                    BinOp::Ge | BinOp::Gt => n.ceil(),
                    _ => n.floor(),
                };
                V { val: Val::Num(whole), missing: Mask::default() }
            }
            _ => V { val: b.val, missing: Mask::default() },
        };
        let sym = op.symbol();
        // The reason is written in one buffer; `cur` and `req` are where the current and required
        // values stand in it (a gap text quotes them).
        text.push_str(label);
        let push_cur = |text: &mut String| {
            let at = text.len();
            self.push_show(text, &a, lhs, rhs);
            at..text.len()
        };
        let push_req = |text: &mut String| {
            let at = text.len();
            self.push_show(text, &b_shown, rhs, lhs);
            at..text.len()
        };
        let (cur, req) = match (strict, op) {
            (Some(true), BinOp::Eq) => {
                text.push('：');
                (push_cur(&mut *text), 0..0)
            }
            (Some(true), _) => {
                text.push(' ');
                let cur = push_cur(&mut *text);
                text.push(' ');
                text.push_str(sym);
                text.push(' ');
                (cur, push_req(&mut *text))
            }
            (Some(false), BinOp::Eq) => {
                text.push('：');
                let cur = push_cur(&mut *text);
                text.push_str("（要求：");
                let req = push_req(&mut *text);
                text.push('）');
                (cur, req)
            }
            (Some(false), _) => {
                text.push(' ');
                let cur = push_cur(&mut *text);
                text.push_str("，不满足 ");
                text.push_str(sym);
                text.push(' ');
                (cur, push_req(&mut *text))
            }
            (None, BinOp::Eq) => {
                text.push_str(" 未知（要求：");
                let req = push_req(&mut *text);
                text.push('）');
                (0..0, req)
            }
            (None, _) => {
                text.push_str(" 未知（要求 ");
                text.push_str(sym);
                text.push(' ');
                let req = push_req(&mut *text);
                text.push('）');
                (0..0, req)
            }
        };
        if strict == Some(false)
            && let Some(act) = act
            && let Some((op, _, _)) = numeric_threshold(e)
            && let (Some(x), Some(y)) = (a.as_num(), b.as_num())
            && let Some(short) = self.near_miss(op, x, y)
        {
            let (cur, req) = (text[cur].to_string(), text[req].to_string());
            let field = match lhs.as_ref() {
                CExpr::Field(i) => self.rs.schema.fields[*i].name.clone(),
                CExpr::Derived(i) => self.rs.schema.derived[*i].def.name.clone(),
                _ => label.to_string(),
            };
            let diff = match self.describe(lhs).map(|(_, u, t)| (u, format::style_of(t))) {
                Some((_, Style::Percent)) => format!("{}个百分点", format::num(short * 100.0)),
                Some((u, _)) => format!("{}{u}", format::num(short)),
                None => format::num(short),
            };
            let action = self.render(act, |slot, out| match slot {
                Slot::Gap => out.push_str(&diff),
                Slot::Required => out.push_str(&req),
                Slot::Current => out.push_str(&cur),
                Slot::Amount => {}
            });
            let what = named.map(|n| format!("{n}：")).unwrap_or_default();
            let gap_text = format!("{action}（{what}{label} {cur}，要求 {sym} {req}，相差 {diff}）");
            node.relaxed = Some(true);
            node.gaps.push(Gap { field, current: x, required: y, text: gap_text });
        }
        node
    }

    /// The shortfall when `x op y` fails by at most the rule's margin of the threshold `y`.
    fn near_miss(&self, op: BinOp, x: f64, y: f64) -> Option<f64> {
        let short = if matches!(op, BinOp::Ge | BinOp::Gt) { y - x } else { x - y };
        (y != 0.0 && short <= self.rule.margin * y.abs()).then_some(short)
    }

    fn benefit(&self, b: &'a CBenefit) -> Option<Benefit> {
        let amount = eval(&b.amount, self.env).as_num()?;
        let amount = (amount * 100.0).round() / 100.0;
        let text = self.render(&b.text, |_, out| format::push_num(out, amount));
        Some(Benefit { amount_wan: amount, text })
    }

    /// Fills a text template: expressions evaluated here, slots written by `slot`.
    fn render(&self, pieces: &'a [Piece], slot: impl Fn(Slot, &mut String)) -> String {
        let mut text = String::with_capacity(128);
        // Nesting of `{?…}` sections, and how many of them (from the outside) are shown.
        let (mut open, mut shown) = (0usize, 0usize);
        for p in pieces {
            match p {
                Piece::If(c) => {
                    if shown == open && eval(c, self.env).as_bool() == Some(true) {
                        shown += 1;
                    }
                    open += 1;
                }
                Piece::EndIf => {
                    if shown == open {
                        shown = shown.saturating_sub(1);
                    }
                    open = open.saturating_sub(1);
                }
                _ if shown < open => {}
                Piece::Lit(s) => text.push_str(s),
                Piece::Slot(s) => slot(*s, &mut text),
                Piece::Expr(e, pct) => {
                    let v = eval(e, self.env);
                    match (v.val, pct) {
                        (Val::Num(n), true) => format::push_pct(&mut text, n),
                        (val, _) => match self.describe(e) {
                            Some((_, unit, ty)) => format::push_value(&mut text, &val, Some(ty), unit),
                            None => format::push_value(&mut text, &val, None, ""),
                        },
                    }
                }
            }
        }
        text
    }
}

/// `All` combined node by node (no list of the children): false if any is false, else true if
/// all are true, else unknown; the missing facts of the unknown children when unknown; every
/// child's gaps unless the relaxed result is false.
#[derive(Default)]
struct AllOf {
    strict_false: bool,
    strict_unknown: bool,
    relaxed_false: bool,
    relaxed_unknown: bool,
    missing: Mask,
    gaps: Vec<Gap>,
}

impl AllOf {
    fn add(&mut self, n: Node) {
        match n.strict {
            Some(false) => self.strict_false = true,
            None => {
                self.strict_unknown = true;
                if !n.missing.is_empty() {
                    self.missing = std::mem::take(&mut self.missing).or(&n.missing);
                }
            }
            Some(true) => {}
        }
        match n.relaxed {
            Some(false) => self.relaxed_false = true,
            None => self.relaxed_unknown = true,
            Some(true) => {}
        }
        if !self.relaxed_false {
            self.gaps.extend(n.gaps);
        }
    }

    fn finish(self) -> Node {
        let and = |f: bool, u: bool| {
            if f {
                Some(false)
            } else if u {
                None
            } else {
                Some(true)
            }
        };
        let strict = and(self.strict_false, self.strict_unknown);
        let relaxed = and(self.relaxed_false, self.relaxed_unknown);
        let missing = if strict.is_none() { self.missing } else { Mask::default() };
        let gaps = if relaxed != Some(false) { self.gaps } else { Vec::new() };
        Node { strict, relaxed, missing, gaps }
    }
}

/// `AtLeast(k)` combined node by node (no list of the children): true once k children are true,
/// false once too few can be, else unknown; the missing facts of the unknown children when
/// unknown; when false but the relaxed result is not, the gaps of the fewest near misses needed to
/// reach k relaxed passes, taking strict passes first (every near gap as a lead when relaxed is
/// unknown).
#[derive(Default)]
struct AtLeastOf {
    strict_yes: usize,
    strict_maybe: usize,
    relaxed_yes: usize,
    relaxed_maybe: usize,
    missing: Mask,
    /// The strictly failing children that may carry gaps, in order: whether each holds relaxed,
    /// and its gaps (children failing both ways without gaps add nothing and are left out).
    near: Vec<(bool, Vec<Gap>)>,
}

impl AtLeastOf {
    fn add(&mut self, n: Node) {
        match n.strict {
            Some(true) => self.strict_yes += 1,
            None => {
                self.strict_maybe += 1;
                if !n.missing.is_empty() {
                    self.missing = std::mem::take(&mut self.missing).or(&n.missing);
                }
            }
            Some(false) => {}
        }
        match n.relaxed {
            Some(true) => self.relaxed_yes += 1,
            None => self.relaxed_maybe += 1,
            Some(false) => {}
        }
        if n.strict == Some(false) && (n.relaxed == Some(true) || !n.gaps.is_empty()) {
            self.near.push((n.relaxed == Some(true), n.gaps));
        }
    }

    fn finish(self, k: usize) -> Node {
        let count = |yes: usize, maybe: usize| {
            if yes >= k {
                Some(true)
            } else if yes + maybe < k {
                Some(false)
            } else {
                None
            }
        };
        let strict = count(self.strict_yes, self.strict_maybe);
        let relaxed = count(self.relaxed_yes, self.relaxed_maybe);
        let missing = if strict.is_none() { self.missing } else { Mask::default() };
        let mut gaps = Vec::new();
        if strict == Some(false) && relaxed != Some(false) {
            let mut near: Vec<&(bool, Vec<Gap>)> = self.near.iter().filter(|(relaxed, _)| *relaxed).collect();
            near.sort_by_key(|(_, g)| g.len());
            for (_, g) in near.into_iter().take(k.saturating_sub(self.strict_yes)) {
                gaps.extend(g.iter().cloned());
            }
            if gaps.is_empty() {
                // Relaxed is unknown: report every near gap as a lead.
                gaps = self.near.into_iter().flat_map(|(_, g)| g).collect();
            }
        }
        Node { strict, relaxed, missing, gaps }
    }
}

//! One enterprise against a whole plan, without building a table: the API path.
//!
//! The same compiled leaves and trees as the block evaluator, evaluated one row at a time with
//! short-circuits (an `All` stops at the first child that is false even relaxed, an `Any` at
//! the first strict pass) and each distinct leaf evaluated at most once per enterprise.

use zhengce_model::fact::{FactValue, Profile};
use zhengce_model::policy::region_contains;
use zhengce_model::verdict::Status;
use zhengce_rules::compile::{CExpr, Func};
use zhengce_rules::eval::{Env, Mask, V, Val, eval};
use zhengce_rules::expr::BinOp;
use zhengce_rules::load::numeric_threshold;

use super::leaf::{NEAR, near_miss};
use super::table::Kind;
use super::vexpr::{F, T, U};
use super::{Plan, TNode, code, status_of_code};

#[derive(Clone, Copy, Debug)]
enum Src {
    Field(usize),
    Derived(usize),
}

#[derive(Clone, Debug)]
enum SLeaf {
    NumCmp { src: Src, op: BinOp, c: f64, margin: Option<f64> },
    Truth { src: Src, lut: [u8; 3] },
    Text { src: Src, f: Func, lits: Vec<String>, not: bool },
    Generic { e: CExpr, margin: Option<f64> },
}

/// A plan prepared for one enterprise at a time (immutable, shareable).
#[derive(Debug)]
pub struct Single<'p> {
    plan: &'p Plan,
    leaves: Vec<SLeaf>,
    /// Used field indices sorted by field name, for a merge with the profile's sorted keys.
    by_name: Vec<(&'p str, usize)>,
    regions: Vec<&'p str>,
    policy_region: Vec<Option<usize>>,
}

fn src(e: &CExpr) -> Option<Src> {
    match e {
        CExpr::Field(i) => Some(Src::Field(*i)),
        CExpr::Derived(i) => Some(Src::Derived(*i)),
        _ => None,
    }
}

impl Plan {
    /// Prepares the plan for single-enterprise matching.
    pub fn single(&self) -> Single<'_> {
        let kinds: Vec<Kind> = self.fields.iter().map(|(_, t)| Kind::of(t)).collect();
        let kind = |e: &CExpr| match e {
            CExpr::Field(i) => kinds.get(*i).copied(),
            CExpr::Derived(i) => self.derived.get(*i).map(|d| d.1),
            _ => None,
        };
        let text = |e: &CExpr, not: bool| -> Option<SLeaf> {
            let (e, not) = match e {
                CExpr::Not(x) => (x.as_ref(), !not),
                _ => (e, not),
            };
            match e {
                CExpr::Call(f @ (Func::Prefix | Func::In | Func::Within), args)
                    if kind(args.first()?) == Some(Kind::Text) && args[1..].iter().all(|a| matches!(a, CExpr::Text(_))) =>
                {
                    let lits =
                        args[1..].iter().filter_map(|a| if let CExpr::Text(s) = a { Some(s.clone()) } else { None }).collect();
                    Some(SLeaf::Text { src: src(&args[0])?, f: *f, lits, not })
                }
                CExpr::Bin(op @ (BinOp::Eq | BinOp::Ne), x, l) if kind(x) == Some(Kind::Text) => match l.as_ref() {
                    CExpr::Text(s) => {
                        Some(SLeaf::Text { src: src(x)?, f: Func::In, lits: vec![s.clone()], not: not ^ (*op == BinOp::Ne) })
                    }
                    _ => None,
                },
                _ => None,
            }
        };
        const ID: [u8; 3] = [F, U, T];
        const FLIP: [u8; 3] = [T, U, F];
        let leaves = self
            .leaves
            .iter()
            .map(|l| {
                let e = &l.expr;
                let fused = match e {
                    CExpr::Bin(op, x, c) if op.is_comparison() && kind(x) == Some(Kind::Num) => match (src(x), c.as_ref()) {
                        (Some(s), CExpr::Num(c)) => Some(SLeaf::NumCmp {
                            src: s,
                            op: *op,
                            c: *c,
                            margin: if numeric_threshold(e).is_some() { l.margin } else { None },
                        }),
                        _ => None,
                    },
                    CExpr::Bin(op @ (BinOp::Eq | BinOp::Ne), x, c) if kind(x) == Some(Kind::Bool) => match (src(x), c.as_ref()) {
                        (Some(s), CExpr::Bool(b)) => {
                            Some(SLeaf::Truth { src: s, lut: if *b == (*op == BinOp::Eq) { ID } else { FLIP } })
                        }
                        _ => None,
                    },
                    CExpr::Field(_) | CExpr::Derived(_) if kind(e) == Some(Kind::Bool) => {
                        src(e).map(|s| SLeaf::Truth { src: s, lut: ID })
                    }
                    CExpr::Not(x) if kind(x) == Some(Kind::Bool) => src(x).map(|s| SLeaf::Truth { src: s, lut: FLIP }),
                    _ => None,
                };
                fused.or_else(|| text(e, false)).unwrap_or_else(|| SLeaf::Generic { e: e.clone(), margin: l.margin })
            })
            .collect();
        let mut by_name: Vec<(&str, usize)> =
            self.fields.iter().enumerate().filter(|(i, _)| self.fields_used[*i]).map(|(i, (n, _))| (n.as_str(), i)).collect();
        by_name.sort();
        let mut regions: Vec<&str> = Vec::new();
        let policy_region = self
            .policies
            .iter()
            .map(|p| {
                p.region.as_deref().map(|r| {
                    regions.iter().position(|x| *x == r).unwrap_or_else(|| {
                        regions.push(r);
                        regions.len() - 1
                    })
                })
            })
            .collect();
        Single { plan: self, leaves, by_name, regions, policy_region }
    }
}

struct Row<'a> {
    fields: Vec<Option<&'a FactValue>>,
    derived: Vec<V<'a>>,
    codes: Vec<u8>,
}

const UNSET: u8 = 0xFF;

fn tri(b: Option<bool>) -> u8 {
    match b {
        Some(true) => T,
        Some(false) => F,
        None => U,
    }
}

impl Single<'_> {
    /// The status of every policy of the plan (in [`Plan::slugs`] order) for one enterprise.
    pub fn statuses(&self, profile: &Profile) -> Vec<Status> {
        self.codes(profile).into_iter().map(status_of_code).collect()
    }

    /// The status codes ([`super::code`]) of every policy for one enterprise.
    pub fn codes(&self, profile: &Profile) -> Vec<u8> {
        let plan = self.plan;
        let profile = plan.with_region_facts(profile);
        let profile = profile.as_ref();
        let mut fields: Vec<Option<&FactValue>> = vec![None; plan.fields.len()];
        // Both sides are sorted by name: merge.
        let mut it = self.by_name.iter().peekable();
        for (k, v) in profile {
            while let Some((n, _)) = it.peek() {
                if *n < k.as_str() {
                    it.next();
                } else {
                    break;
                }
            }
            if let Some((n, i)) = it.peek()
                && *n == k.as_str()
            {
                fields[*i] = Some(v);
            }
        }
        let mut derived: Vec<V<'_>> = Vec::with_capacity(plan.derived.len());
        for (d, (e, _)) in plan.derived.iter().enumerate() {
            let v = if plan.derived_needed[d] {
                eval(e, &Env { fields: &fields, derived: &derived, params: &[], as_of: plan.as_of })
            } else {
                V { val: Val::Unknown, missing: Mask::default() }
            };
            derived.push(v);
        }
        let mut row = Row { fields, derived, codes: vec![UNSET; self.leaves.len()] };
        let region = match plan.region_field.and_then(|r| row.fields[r]) {
            Some(FactValue::Text(r)) => Some(r.as_str()),
            _ => None,
        };
        let outcomes: Vec<u8> = self
            .regions
            .iter()
            .map(|r| match region {
                Some(x) if region_contains(r, x) => T,
                Some(_) => F,
                None => U,
            })
            .collect();
        plan.policies
            .iter()
            .enumerate()
            .map(|(p, pol)| {
                let reg = self.policy_region[p].map(|i| outcomes[i]);
                if reg == Some(F) {
                    return code::INELIGIBLE;
                }
                let (s, r, g) = self.node(&pol.root, &mut row);
                let st = if s == T {
                    code::ELIGIBLE
                } else if s == U {
                    code::POSSIBLE
                } else if r != F && g {
                    code::NEAR_MISS
                } else {
                    code::INELIGIBLE
                };
                if reg == Some(U) && st == code::ELIGIBLE { code::POSSIBLE } else { st }
            })
            .collect()
    }

    fn node(&self, t: &TNode, row: &mut Row<'_>) -> (u8, u8, bool) {
        match t {
            TNode::Leaf(id) => {
                let c = self.leaf(*id as usize, row);
                if c == NEAR { (F, T, true) } else { (c, c, false) }
            }
            TNode::Not(x) => {
                let (s, _, _) = self.node(x, row);
                (T - s, T - s, false)
            }
            TNode::All(cs) => {
                let (mut s, mut r, mut g) = (T, T, false);
                for c in cs {
                    let (cs_, cr, cg) = self.node(c, row);
                    s = s.min(cs_);
                    r = r.min(cr);
                    g |= cg;
                    if r == F {
                        return (F, F, false);
                    }
                }
                (s, r, g)
            }
            TNode::AtLeast(k, cs) => {
                let (mut ys, mut ms, mut yr, mut mr, mut g) = (0usize, 0usize, 0usize, 0usize, false);
                for c in cs {
                    let (s, r, cg) = self.node(c, row);
                    ys += usize::from(s == T);
                    ms += usize::from(s == U);
                    yr += usize::from(r == T);
                    mr += usize::from(r == U);
                    g |= cg && s == F;
                    if ys >= *k {
                        return (T, T, false);
                    }
                }
                let t = |y: usize, m: usize| {
                    if y >= *k {
                        T
                    } else if y + m < *k {
                        F
                    } else {
                        U
                    }
                };
                let (s, r) = (t(ys, ms), t(yr, mr));
                (s, r, g && s == F && r != F)
            }
        }
    }

    fn leaf(&self, id: usize, row: &mut Row<'_>) -> u8 {
        if row.codes[id] != UNSET {
            return row.codes[id];
        }
        let val = |s: Src| -> Option<Val<'_>> {
            match s {
                Src::Field(i) => row.fields[i].map(|v| match v {
                    FactValue::Num(n) => Val::Num(*n),
                    FactValue::Bool(b) => Val::Bool(*b),
                    FactValue::Text(t) => Val::Text(t),
                    FactValue::Date(d) => Val::Date(*d),
                }),
                Src::Derived(i) => row.derived.get(i).map(|v| v.val).filter(|v| *v != Val::Unknown),
            }
        };
        let c = match &self.leaves[id] {
            SLeaf::NumCmp { src, op, c, margin } => match val(*src) {
                Some(Val::Num(x)) => match x.partial_cmp(c) {
                    None => U,
                    Some(o) => {
                        let pass = op.holds(o);
                        if pass {
                            T
                        } else if margin.is_some_and(|m| near_miss(*op, x, *c, m)) {
                            NEAR
                        } else {
                            F
                        }
                    }
                },
                _ => U,
            },
            SLeaf::Truth { src, lut } => match val(*src) {
                Some(Val::Bool(true)) => lut[2],
                Some(Val::Bool(false)) => lut[0],
                _ => lut[1],
            },
            SLeaf::Text { src, f, lits, not } => match val(*src) {
                Some(Val::Text(x)) => {
                    let hit = lits.iter().any(|p| match f {
                        Func::Prefix => x.starts_with(p.as_str()),
                        Func::In => x == p,
                        _ => region_contains(p, x),
                    });
                    if hit ^ not { T } else { F }
                }
                _ => U,
            },
            SLeaf::Generic { e, margin } => {
                let env = Env { fields: &row.fields, derived: &row.derived, params: &[], as_of: self.plan.as_of };
                let s = tri(eval(e, &env).as_bool());
                match (s, margin, numeric_threshold(e)) {
                    (F, Some(m), Some((op, lhs, rhs))) => match (eval(lhs, &env).as_num(), eval(rhs, &env).as_num()) {
                        (Some(x), Some(y)) if near_miss(op, x, y, *m) => NEAR,
                        _ => F,
                    },
                    _ => s,
                }
            }
        };
        row.codes[id] = c;
        c
    }
}

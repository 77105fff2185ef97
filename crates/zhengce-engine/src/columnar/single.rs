//! One enterprise against a whole plan, without building a table: the API path.
//!
//! The same compiled leaves and trees as the block evaluator, in the packed codes of
//! [`super::leaf`]. The cheap leaves are evaluated eagerly, grouped by kind so that the loops
//! are branch-light: numeric thresholds by operator over a dense slot array of the
//! enterprise's values, yes/no facts through a table, and text tests through an inverted index
//! (per field, literal → leaves; the enterprise's value is looked up with each of its prefixes,
//! so the ~800 text tests of a large corpus cost a handful of hash lookups). The rest
//! (`x op y * k`, `x + y op c`, the generic interpreter) is evaluated lazily, at most once,
//! when a tree reaches it. Trees combine packed bytes with short-circuits (an `All` stops at
//! the first child that is false even relaxed, an `Any` at the first strict pass).

use std::collections::HashMap;

use zhengce_model::fact::{FactValue, Profile};
use zhengce_model::policy::region_contains;
use zhengce_model::verdict::Status;
use zhengce_rules::compile::{CExpr, Func};
use zhengce_rules::eval::{Env, Mask, V, Val, eval};
use zhengce_rules::expr::BinOp;
use zhengce_rules::load::numeric_threshold;

use super::leaf::{PF, PNEAR, PT, PU, near_miss};
use super::table::Kind;
use super::vexpr::{F, T, U};
use super::{Plan, TNode, code, status_of_code};

/// A leaf evaluated lazily (the others are filled in eagerly).
#[derive(Clone, Debug)]
enum Lazy {
    /// Filled in by the eager passes.
    Eager,
    /// `x op y * k` over value slots.
    Scaled { x: usize, y: usize, k: f64, op: BinOp, margin: Option<f64> },
    /// `x + y op c` over value slots.
    Sum { x: usize, y: usize, c: f64, op: BinOp, margin: Option<f64> },
    /// The rule interpreter.
    Generic { e: CExpr, margin: Option<f64> },
}

/// Numeric thresholds `slot op c` sharing one operator (struct of arrays).
#[derive(Debug, Default)]
struct NumGroup {
    leaf: Vec<u32>,
    slot: Vec<u32>,
    c: Vec<f64>,
    /// `margin * |c|` for a numeric threshold with a margin and c ≠ 0, else NaN (never near).
    lim: Vec<f64>,
}

/// A text test: its leaf, the value slot it reads, its codes on a hit and a miss.
#[derive(Clone, Copy, Debug)]
struct TextLeaf {
    leaf: u32,
    slot: u32,
    hit: u8,
    miss: u8,
}

/// Inverted index of the text tests on one value slot: literal → positions in `Single::text`.
#[derive(Debug, Default)]
struct TextIndex {
    /// `prefix(x, p)`: hit by every prefix of the value.
    prefix: HashMap<String, Vec<u32>>,
    /// `x == p`, `in(x, p, …)`: hit by the value itself.
    exact: HashMap<String, Vec<u32>>,
    /// `within(x, p)` keyed by the part of `p` that `region_contains` compares (6-character
    /// literals only; others never contain anything): hit by the prefixes of a 6-character value.
    within: HashMap<String, Vec<u32>>,
}

/// A plan prepared for one enterprise at a time (immutable, shareable).
#[derive(Debug)]
pub struct Single<'p> {
    plan: &'p Plan,
    lazy: Vec<Lazy>,
    /// Thresholds by operator: `>=`, `>`, `<=`, `<`, `==`, `!=`.
    num: [NumGroup; 6],
    /// Yes/no leaves: (leaf, slot, packed code for no / unknown / yes).
    truth: Vec<(u32, u32, [u8; 3])>,
    text: Vec<TextLeaf>,
    text_index: HashMap<u32, TextIndex>,
    /// Used field indices sorted by field name, for a merge with the profile's sorted keys.
    by_name: Vec<(&'p str, usize)>,
    regions: Vec<&'p str>,
    policy_region: Vec<Option<usize>>,
    /// Per policy: the leaves of a root `All` whose children are all leaves.
    flat: Vec<Option<Vec<u32>>>,
}

/// Value slot of a field (its index) or derived fact (after the fields).
fn slot(e: &CExpr, nf: usize) -> Option<usize> {
    match e {
        CExpr::Field(i) => Some(*i),
        CExpr::Derived(i) => Some(nf + *i),
        _ => None,
    }
}

const OPS: [BinOp; 6] = [BinOp::Ge, BinOp::Gt, BinOp::Le, BinOp::Lt, BinOp::Eq, BinOp::Ne];

impl Plan {
    /// Prepares the plan for single-enterprise matching.
    pub fn single(&self) -> Single<'_> {
        let nf = self.fields.len();
        let kinds: Vec<Kind> = self.fields.iter().map(|(_, t)| Kind::of(t)).collect();
        let kind = |e: &CExpr| match e {
            CExpr::Field(i) => kinds.get(*i).copied(),
            CExpr::Derived(i) => self.derived.get(*i).map(|d| d.1),
            _ => None,
        };
        let mut s = Single {
            plan: self,
            lazy: Vec::with_capacity(self.leaves.len()),
            num: Default::default(),
            truth: Vec::new(),
            text: Vec::new(),
            text_index: HashMap::new(),
            by_name: Vec::new(),
            regions: Vec::new(),
            policy_region: Vec::new(),
            flat: Vec::new(),
        };
        const ID: [u8; 3] = [PF, PU, PT];
        const FLIP: [u8; 3] = [PT, PU, PF];
        for (id, l) in self.leaves.iter().enumerate() {
            let id = id as u32;
            let e = &l.expr;
            let margin = if numeric_threshold(e).is_some() { l.margin } else { None };
            // The shapes the block evaluator fuses (`exec.rs`), with the same guards.
            let lazy = match e {
                CExpr::Bin(op, x, c)
                    if op.is_comparison()
                        && (kind(x) == Some(Kind::Num) || matches!(x.as_ref(), CExpr::Bin(BinOp::Add, _, _))) =>
                {
                    match (slot(x, nf), x.as_ref(), c.as_ref()) {
                        (Some(sl), _, CExpr::Num(c)) => {
                            let g = OPS.iter().position(|o| o == op).unwrap_or(5);
                            let g = &mut s.num[g];
                            g.leaf.push(id);
                            g.slot.push(sl as u32);
                            g.c.push(*c);
                            g.lim.push(match margin {
                                Some(m) if *c != 0.0 => m * c.abs(),
                                _ => f64::NAN,
                            });
                            Some(Lazy::Eager)
                        }
                        (None, CExpr::Bin(BinOp::Add, a, b), CExpr::Num(c))
                            if kind(a) == Some(Kind::Num) && kind(b) == Some(Kind::Num) =>
                        {
                            match (slot(a, nf), slot(b, nf)) {
                                (Some(x), Some(y)) => Some(Lazy::Sum { x, y, c: *c, op: *op, margin }),
                                _ => None,
                            }
                        }
                        (Some(xs), _, CExpr::Bin(BinOp::Mul, a, b)) => match (a.as_ref(), b.as_ref()) {
                            (y, CExpr::Num(k)) | (CExpr::Num(k), y) if kind(y) == Some(Kind::Num) => {
                                slot(y, nf).map(|y| Lazy::Scaled { x: xs, y, k: *k, op: *op, margin })
                            }
                            _ => None,
                        },
                        _ => None,
                    }
                }
                CExpr::Bin(op @ (BinOp::Eq | BinOp::Ne), x, c) if kind(x) == Some(Kind::Bool) => {
                    match (slot(x, nf), c.as_ref()) {
                        (Some(sl), CExpr::Bool(b)) => {
                            s.truth.push((id, sl as u32, if *b == (*op == BinOp::Eq) { ID } else { FLIP }));
                            Some(Lazy::Eager)
                        }
                        _ => None,
                    }
                }
                CExpr::Field(_) | CExpr::Derived(_) if kind(e) == Some(Kind::Bool) => slot(e, nf).map(|sl| {
                    s.truth.push((id, sl as u32, ID));
                    Lazy::Eager
                }),
                CExpr::Not(x) if kind(x) == Some(Kind::Bool) => slot(x, nf).map(|sl| {
                    s.truth.push((id, sl as u32, FLIP));
                    Lazy::Eager
                }),
                _ => None,
            };
            let lazy = lazy.or_else(|| s.text_leaf(id, e, &kind, nf).then_some(Lazy::Eager));
            s.lazy.push(lazy.unwrap_or_else(|| Lazy::Generic { e: e.clone(), margin: l.margin }));
        }
        s.by_name =
            self.fields.iter().enumerate().filter(|(i, _)| self.fields_used[*i]).map(|(i, (n, _))| (n.as_str(), i)).collect();
        s.by_name.sort();
        let mut regions: Vec<&str> = Vec::new();
        s.policy_region = self
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
        s.regions = regions;
        s.flat = self
            .policies
            .iter()
            .map(|p| match &p.root {
                TNode::All(cs) => cs.iter().map(|c| if let TNode::Leaf(id) = c { Some(*id) } else { None }).collect(),
                _ => None,
            })
            .collect();
        s
    }
}

impl Single<'_> {
    /// Indexes a text test (`prefix`, `in`, `within` with literals, `== 'a'`, `!= 'a'`, under
    /// `not`s); false when `e` is not one.
    fn text_leaf(&mut self, id: u32, e: &CExpr, kind: &dyn Fn(&CExpr) -> Option<Kind>, nf: usize) -> bool {
        let (mut e, mut not) = (e, false);
        while let CExpr::Not(x) = e {
            (e, not) = (x.as_ref(), !not);
        }
        let (x, f, lits): (&CExpr, Func, Vec<&str>) = match e {
            CExpr::Call(f @ (Func::Prefix | Func::In | Func::Within), args)
                if args.first().is_some_and(|a| kind(a) == Some(Kind::Text))
                    && args[1..].iter().all(|a| matches!(a, CExpr::Text(_))) =>
            {
                let lits = args[1..].iter().filter_map(|a| if let CExpr::Text(s) = a { Some(s.as_str()) } else { None });
                (&args[0], *f, lits.collect())
            }
            CExpr::Bin(op @ (BinOp::Eq | BinOp::Ne), x, l) if kind(x) == Some(Kind::Text) => match l.as_ref() {
                CExpr::Text(s) => {
                    not ^= *op == BinOp::Ne;
                    (x.as_ref(), Func::In, vec![s.as_str()])
                }
                _ => return false,
            },
            _ => return false,
        };
        let Some(sl) = slot(x, nf) else { return false };
        let pos = self.text.len() as u32;
        let (hit, miss) = if not { (PF, PT) } else { (PT, PF) };
        self.text.push(TextLeaf { leaf: id, slot: sl as u32, hit, miss });
        let ix = self.text_index.entry(sl as u32).or_default();
        for p in lits {
            let (map, key) = match f {
                Func::Prefix => (&mut ix.prefix, p),
                Func::In => (&mut ix.exact, p),
                _ => {
                    if p.len() != 6 {
                        continue;
                    }
                    // The part `region_contains` compares (its own computation).
                    let t = p.trim_end_matches("00");
                    let key = if t.len() % 2 == 1 { p.get(..t.len() + 1).unwrap_or(p) } else { t };
                    (&mut ix.within, key)
                }
            };
            let v = map.entry(key.to_string()).or_default();
            if v.last() != Some(&pos) {
                v.push(pos);
            }
        }
        true
    }

    /// The status of every policy of the plan (in [`Plan::slugs`] order) for one enterprise.
    pub fn statuses(&self, profile: &Profile) -> Vec<Status> {
        self.codes(profile).into_iter().map(status_of_code).collect()
    }

    /// The status codes ([`super::code`]) of every policy for one enterprise.
    pub fn codes(&self, profile: &Profile) -> Vec<u8> {
        let plan = self.plan;
        let nf = plan.fields.len();
        let mut fields: Vec<Option<&FactValue>> = vec![None; nf];
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
        // Region facts come from the corpus's region table by the enterprise's region, never
        // from the profile (as `Plan::with_region_facts`, without copying the profile).
        if !plan.region_facts.is_empty() {
            let region = match profile.get("region") {
                Some(FactValue::Text(r)) => Some(r.as_str()),
                _ => None,
            };
            for (i, _) in &plan.region_facts {
                if let Some(f) = fields.get_mut(*i) {
                    *f = plan.region_table.lookup(*i, region, plan.as_of).value();
                }
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
        // Dense value slots: fields, then derived facts.
        let n = nf + derived.len();
        let (mut num, mut known, mut tri) = (vec![0.0f64; n], vec![false; n], vec![U; n]);
        let mut text: Vec<Option<&str>> = vec![None; n];
        let vals = fields.iter().map(|f| f.map(field_val).unwrap_or(Val::Unknown)).chain(derived.iter().map(|d| d.val));
        for (i, v) in vals.enumerate() {
            match v {
                Val::Num(x) => (num[i], known[i]) = (x, true),
                Val::Bool(b) => tri[i] = if b { T } else { F },
                Val::Text(s) => text[i] = Some(s),
                Val::Unknown | Val::Date(_) => {}
            }
        }
        let mut codes = vec![UNSET; self.lazy.len()];
        self.thresholds(&num, &known, &mut codes);
        for &(leaf, sl, lut) in &self.truth {
            codes[leaf as usize] = lut[usize::from(tri[sl as usize].min(T))];
        }
        for t in &self.text {
            codes[t.leaf as usize] = if text[t.slot as usize].is_some() { t.miss } else { PU };
        }
        for (&sl, ix) in &self.text_index {
            let Some(s) = text[sl as usize] else { continue };
            let mut hit = |list: Option<&Vec<u32>>| {
                for &pos in list.into_iter().flatten() {
                    let t = self.text[pos as usize];
                    codes[t.leaf as usize] = t.hit;
                }
            };
            hit(ix.exact.get(s));
            let six = s.len() == 6;
            for end in (0..=s.len()).filter(|&e| s.is_char_boundary(e)) {
                hit(ix.prefix.get(&s[..end]));
                if six {
                    hit(ix.within.get(&s[..end]));
                }
            }
        }
        let mut row = Row { fields: &fields, derived: &derived, num: &num, known: &known, codes };
        let region = match plan.region_field.and_then(|r| fields[r]) {
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
                let c = match &self.flat[p] {
                    Some(ids) => self.flat_all(ids, &mut row),
                    None => self.node(&pol.root, &mut row),
                };
                let s = c & 0b11;
                let near = (c >> 2) & (!c >> 4) & 1 & u8::from(s == 0);
                let st = s + u8::from(s != 0) - (s >> 1) + near;
                if reg == Some(U) && st == code::ELIGIBLE { code::POSSIBLE } else { st }
            })
            .collect()
    }

    /// The eager numeric thresholds, one branch-light loop per operator.
    fn thresholds(&self, num: &[f64], known: &[bool], codes: &mut [u8]) {
        #[inline(always)]
        fn go(g: &NumGroup, num: &[f64], known: &[bool], codes: &mut [u8], pass: impl Fn(f64, f64) -> bool, ge: bool) {
            for j in 0..g.leaf.len() {
                let sl = g.slot[j] as usize;
                let (x, c) = (num.get(sl).copied().unwrap_or(f64::NAN), g.c[j]);
                let ok = known.get(sl).copied().unwrap_or(false) & !x.is_nan() & !c.is_nan();
                let short = if ge { c - x } else { x - c };
                let code = if pass(x, c) {
                    PT
                } else if short <= g.lim[j] {
                    PNEAR
                } else {
                    PF
                };
                if let Some(o) = codes.get_mut(g.leaf[j] as usize) {
                    *o = if ok { code } else { PU };
                }
            }
        }
        let [ge, gt, le, lt, eq, ne] = &self.num;
        go(ge, num, known, codes, |x, c| x >= c, true);
        go(gt, num, known, codes, |x, c| x > c, true);
        go(le, num, known, codes, |x, c| x <= c, false);
        go(lt, num, known, codes, |x, c| x < c, false);
        go(eq, num, known, codes, |x, c| x == c, false);
        go(ne, num, known, codes, |x, c| x != c, false);
    }

    /// An `All` of leaves only (most policies): a loop over their codes.
    fn flat_all(&self, ids: &[u32], row: &mut Row<'_, '_>) -> u8 {
        let mut acc = PT;
        for &id in ids {
            let c = row.codes[id as usize];
            acc &= if c == UNSET { self.leaf(id as usize, row) } else { c };
            if acc & 0b100 == 0 {
                return PF;
            }
        }
        acc | ((!acc << 2) & 0x10)
    }

    fn node(&self, t: &TNode, row: &mut Row<'_, '_>) -> u8 {
        match t {
            TNode::Leaf(id) => self.leaf(*id as usize, row),
            TNode::Not(x) => {
                let c = self.node(x, row);
                let s = ((!c >> 1) & 1) | ((!c & 1) << 1);
                s | (s << 2) | 0x10
            }
            TNode::All(cs) => {
                let mut acc = PT;
                for c in cs {
                    acc &= self.node(c, row);
                    // Relaxed false: strict false too, and no gap counts.
                    if acc & 0b100 == 0 {
                        return PF;
                    }
                }
                acc | ((!acc << 2) & 0x10)
            }
            TNode::AtLeast(1, cs) => {
                let mut acc = PF;
                for c in cs {
                    let c = self.node(c, row);
                    let ng = acc & (c | (c << 4)) & 0x10;
                    acc = ((acc | c) & 0x0F) | ng;
                    // Strict true: the group holds and reports no gap.
                    if acc & 0b10 != 0 {
                        return PT;
                    }
                }
                acc | (((acc << 4) | (!acc << 2)) & 0x10)
            }
            TNode::AtLeast(k, cs) => {
                let (mut ys, mut ms, mut yr, mut mr, mut g) = (0usize, 0usize, 0usize, 0usize, false);
                for c in cs {
                    let p = self.node(c, row);
                    ys += usize::from(p & 0b10 != 0);
                    ms += usize::from(p & 0b11 == 0b01);
                    yr += usize::from(p & 0b1000 != 0);
                    mr += usize::from(p & 0b1100 == 0b0100);
                    g |= p & 0x10 == 0 && p & 1 == 0;
                    if ys >= *k {
                        return PT;
                    }
                }
                let tri = |y: usize, m: usize| u8::from(y + m >= *k) | (u8::from(y >= *k) << 1);
                let (s, r) = (tri(ys, ms), tri(yr, mr));
                let gap = g && s == 0 && r != 0;
                s | (r << 2) | (u8::from(!gap) << 4)
            }
        }
    }

    fn leaf(&self, id: usize, row: &mut Row<'_, '_>) -> u8 {
        let c = row.codes[id];
        if c != UNSET {
            return c;
        }
        let pair = |x: usize, y: usize, f: &dyn Fn(f64, f64) -> (f64, f64), op: BinOp, margin: Option<f64>| -> u8 {
            if !(row.known[x] && row.known[y]) {
                return PU;
            }
            let (a, b) = f(row.num[x], row.num[y]);
            match a.partial_cmp(&b) {
                None => PU,
                Some(o) if op.holds(o) => PT,
                Some(_) if margin.is_some_and(|m| near_miss(op, a, b, m)) => PNEAR,
                Some(_) => PF,
            }
        };
        let c = match &self.lazy[id] {
            // Filled in eagerly; never reached.
            Lazy::Eager => PU,
            Lazy::Scaled { x, y, k, op, margin } => pair(*x, *y, &|a, b| (a, b * k), *op, *margin),
            Lazy::Sum { x, y, c, op, margin } => pair(*x, *y, &|a, b| (a + b, *c), *op, *margin),
            Lazy::Generic { e, margin } => {
                let env = Env { fields: row.fields, derived: row.derived, params: &[], as_of: self.plan.as_of };
                match (eval(e, &env).as_bool(), margin, numeric_threshold(e)) {
                    (Some(true), _, _) => PT,
                    (None, _, _) => PU,
                    (Some(false), Some(m), Some((op, lhs, rhs))) => match (eval(lhs, &env).as_num(), eval(rhs, &env).as_num()) {
                        (Some(x), Some(y)) if near_miss(op, x, y, *m) => PNEAR,
                        _ => PF,
                    },
                    (Some(false), _, _) => PF,
                }
            }
        };
        row.codes[id] = c;
        c
    }
}

fn field_val(v: &FactValue) -> Val<'_> {
    match v {
        FactValue::Num(n) => Val::Num(*n),
        FactValue::Bool(b) => Val::Bool(*b),
        FactValue::Text(t) => Val::Text(t),
        FactValue::Date(d) => Val::Date(*d),
    }
}

struct Row<'a, 'r> {
    fields: &'r [Option<&'a FactValue>],
    derived: &'r [V<'a>],
    num: &'r [f64],
    known: &'r [bool],
    /// Packed code per leaf; [`UNSET`] until a lazy leaf is evaluated.
    codes: Vec<u8>,
}

const UNSET: u8 = 0xFF;

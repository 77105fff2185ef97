//! Binding a plan to a table, and running it block by block.

use std::collections::HashMap;

use zhengce_model::policy::region_contains;
use zhengce_rules::compile::{CExpr, Func};
use zhengce_rules::expr::BinOp;
use zhengce_rules::load::numeric_threshold;

use super::leaf::{Inputs, Leaf, PACK, PF, PT, PU, Src, rank_leaf};
use super::table::{Column, Columns, Kind, LocalCodes};
use super::vexpr::{BV, Ctx, F, T, TextFn, U, VExpr, veval};
use super::{BLOCK, Plan, TNode, code};

/// A plan bound to one table: text literals resolved to the table's ids, text tests turned into
/// lookup tables, leaves given their kernels. Immutable; each thread runs its own [`Runner`].
pub struct Bound<'a> {
    plan: &'a Plan,
    cols: &'a Columns,
    leaves: Vec<Leaf>,
    derived: Vec<Option<VExpr>>,
    tables: Vec<Vec<u8>>,
    /// `tables` with packed codes, for the leaves ([`super::leaf::PACK`]).
    packed_tables: Vec<Vec<u8>>,
    strings: Vec<String>,
    /// Per policy: index into `regions`.
    policy_region: Vec<Option<usize>>,
    /// Per distinct policy region: the table giving each text id's outcome (F outside, T inside).
    regions: Vec<usize>,
    /// Text columns cut to a prefix length, for [`Leaf::TextPrefix`].
    truncated: Vec<Vec<u16>>,
    /// The same by the region column's local codes, when it has a local dictionary.
    region_local: Option<Vec<Vec<u8>>>,
    /// Local dictionaries of the text columns, by field.
    local: Vec<Option<&'a LocalCodes>>,
    /// Policy trees with leaf children first (cheap kernels before nested groups).
    trees: Vec<TNode>,
    /// Per leaf: its slot in the runner's leaf cache, `u32::MAX` for a leaf used by one policy
    /// (evaluated into scratch space where it is used, never cached).
    slots: Vec<u32>,
    /// Number of cache slots (leaves used more than once).
    shared: usize,
}

/// A text test: the function, the literal ids, negated.
type TextSpec = (TextFn, Vec<u32>, bool);

struct Binder<'c> {
    cols: &'c Columns,
    kinds: Vec<Kind>,
    derived_kinds: Vec<Kind>,
    ext: HashMap<String, u32>,
    ext_strings: Vec<String>,
    specs: Vec<TextSpec>,
}

impl Binder<'_> {
    fn text_id(&mut self, s: &str) -> u32 {
        if let Some(id) = self.cols.interner().get(s) {
            return id;
        }
        if let Some(&id) = self.ext.get(s) {
            return id;
        }
        let id = (self.cols.interner().len() + self.ext_strings.len()) as u32;
        self.ext.insert(s.to_string(), id);
        self.ext_strings.push(s.to_string());
        id
    }

    /// `x == 'a'` / `in(x, …)` with at most four literals: a compare kernel (ids are unique per
    /// string; padding with an id no row has).
    fn text_in(&mut self, src: Src, lits: &[CExpr], not: bool) -> Option<Leaf> {
        if lits.is_empty() || lits.len() > 4 {
            return None;
        }
        let mut ids = [super::table::NONE_TEXT - 1; 4];
        for (slot, l) in ids.iter_mut().zip(lits) {
            let CExpr::Text(s) = l else { return None };
            *slot = self.text_id(s);
        }
        let (hit, miss) = if not { (PF, PT) } else { (PT, PF) };
        Some(Leaf::TextIn { src, ids, hit, miss })
    }

    /// A text test table: `f` over the literal ids, negated when `not`.
    fn table(&mut self, f: TextFn, lits: &[CExpr], not: bool) -> usize {
        let ids = lits
            .iter()
            .map(|l| match l {
                CExpr::Text(s) => self.text_id(s),
                _ => u32::MAX,
            })
            .collect();
        self.specs.push((f, ids, not));
        self.specs.len() - 1
    }

    fn kind(&self, e: &CExpr) -> Option<Kind> {
        match e {
            CExpr::Field(i) => self.kinds.get(*i).copied(),
            CExpr::Derived(i) => self.derived_kinds.get(*i).copied(),
            _ => None,
        }
    }

    fn src(e: &CExpr) -> Option<Src> {
        match e {
            CExpr::Field(i) => Some(Src::Field(*i)),
            CExpr::Derived(i) => Some(Src::Derived(*i)),
            _ => None,
        }
    }

    fn vexpr(&mut self, e: &CExpr, as_of_days: i32) -> VExpr {
        let mut b = |x: &CExpr| Box::new(self.vexpr(x, as_of_days));
        match e {
            CExpr::Num(n) => VExpr::Num(*n),
            CExpr::Text(s) => VExpr::Text(self.text_id(s)),
            CExpr::Bool(x) => VExpr::Bool(*x),
            CExpr::None | CExpr::Param(_) => VExpr::NoneNum,
            CExpr::Field(i) => VExpr::Field(*i, self.kinds.get(*i).copied().unwrap_or(Kind::Num)),
            CExpr::Derived(i) => VExpr::Derived(*i),
            CExpr::AsOf => VExpr::Date(as_of_days),
            CExpr::ParamAt(_, values, date) => {
                let periods = values
                    .iter()
                    .map(|v| (v.from.days_since_epoch() as i32, v.to.map_or(i32::MAX, |t| t.days_since_epoch() as i32), v.value))
                    .collect();
                VExpr::ParamAt(periods, b(date))
            }
            CExpr::Not(a) => VExpr::Not(b(a)),
            CExpr::Neg(a) => VExpr::Neg(b(a)),
            CExpr::Bin(op, x, y) => {
                let x = b(x);
                VExpr::Bin(*op, x, self.vexpr(y, as_of_days).into())
            }
            CExpr::If(c, x, y) => {
                let (c, x) = (b(c), self.vexpr(x, as_of_days));
                VExpr::If(c, x.into(), self.vexpr(y, as_of_days).into())
            }
            CExpr::Call(f, args) => {
                let all = |s: &mut Self| args.iter().map(|a| s.vexpr(a, as_of_days)).collect::<Vec<_>>();
                match f {
                    Func::Min => VExpr::Min(all(self)),
                    Func::Max => VExpr::Max(all(self)),
                    Func::Coalesce => VExpr::Coalesce(all(self)),
                    // `at` is compiled to `CExpr::ParamAt` and never reaches a call.
                    Func::At => VExpr::NoneNum,
                    Func::Known => VExpr::Known(Box::new(args.first().map_or(VExpr::NoneNum, |a| self.vexpr(a, as_of_days)))),
                    Func::Abs => VExpr::Abs(Box::new(args.first().map_or(VExpr::NoneNum, |a| self.vexpr(a, as_of_days)))),
                    Func::Round => {
                        let x = args.first().map_or(VExpr::NoneNum, |a| self.vexpr(a, as_of_days));
                        let d = args.get(1).map_or(VExpr::NoneNum, |a| self.vexpr(a, as_of_days));
                        VExpr::Round(Box::new(x), Box::new(d))
                    }
                    Func::Years => VExpr::Years(Box::new(args.first().map_or(VExpr::NoneNum, |a| self.vexpr(a, as_of_days)))),
                    Func::Prefix | Func::In | Func::Within => {
                        let tf = match f {
                            Func::Prefix => TextFn::Prefix,
                            Func::In => TextFn::In,
                            _ => TextFn::Within,
                        };
                        let x = args.first().map_or(VExpr::NoneNum, |a| self.vexpr(a, as_of_days));
                        let t = self.table(tf, args.get(1..).unwrap_or(&[]), false);
                        VExpr::TextTest(Box::new(x), t)
                    }
                }
            }
        }
    }

    fn text_leaf(&mut self, e: &CExpr, not: bool) -> Option<Leaf> {
        match e {
            CExpr::Call(f @ (Func::Prefix | Func::In | Func::Within), args)
                if self.kind(args.first()?) == Some(Kind::Text) && args[1..].iter().all(|a| matches!(a, CExpr::Text(_))) =>
            {
                let tf = match f {
                    Func::Prefix => TextFn::Prefix,
                    Func::In => TextFn::In,
                    _ => TextFn::Within,
                };
                if matches!(tf, TextFn::In)
                    && let Some(l) = self.text_in(Self::src(&args[0])?, &args[1..], not)
                {
                    return Some(l);
                }
                let table = self.table(tf, &args[1..], not);
                Some(Leaf::TextLut { src: Self::src(&args[0])?, table })
            }
            CExpr::Bin(op @ (BinOp::Eq | BinOp::Ne), x, lit)
                if self.kind(x) == Some(Kind::Text) && matches!(lit.as_ref(), CExpr::Text(_)) =>
            {
                self.text_in(Self::src(x)?, std::slice::from_ref(lit.as_ref()), not ^ (*op == BinOp::Ne))
            }
            CExpr::Not(inner) => self.text_leaf(inner, !not),
            _ => None,
        }
    }

    fn leaf(&mut self, e: &CExpr, margin: Option<f64>, as_of_days: i32) -> Leaf {
        const ID: [u8; 3] = [PF, PU, PT];
        const FLIP: [u8; 3] = [PT, PU, PF];
        match e {
            CExpr::Bin(op, x, c)
                if op.is_comparison()
                    && (self.kind(x) == Some(Kind::Num) || matches!(x.as_ref(), CExpr::Bin(BinOp::Add, _, _))) =>
            {
                if let (Some(src), CExpr::Num(c)) = (Self::src(x), c.as_ref()) {
                    let margin = if numeric_threshold(e).is_some() { margin } else { None };
                    if let Src::Field(i) = src
                        && let Column::Num { ranks: Some(r), .. } = self.cols.column(i)
                        && !c.is_nan()
                    {
                        return rank_leaf(i, &r.distinct, *op, *c, margin);
                    }
                    return Leaf::NumCmp { src, op: *op, c: *c, margin };
                }
                if let (CExpr::Bin(BinOp::Add, a, b), CExpr::Num(c)) = (x.as_ref(), c.as_ref())
                    && self.kind(a) == Some(Kind::Num)
                    && self.kind(b) == Some(Kind::Num)
                    && let (Some(xa), Some(xb)) = (Self::src(a), Self::src(b))
                {
                    let margin = if numeric_threshold(e).is_some() { margin } else { None };
                    return Leaf::NumSum { x: xa, y: xb, c: *c, op: *op, margin };
                }
                let rhs = c;
                if let (Some(xs), CExpr::Bin(BinOp::Mul, a, b)) = (Self::src(x), rhs.as_ref()) {
                    let scaled = match (a.as_ref(), b.as_ref()) {
                        (y, CExpr::Num(k)) | (CExpr::Num(k), y) if self.kind(y) == Some(Kind::Num) => {
                            Self::src(y).map(|y| (y, *k))
                        }
                        _ => None,
                    };
                    if let Some((y, k)) = scaled {
                        let margin = if numeric_threshold(e).is_some() { margin } else { None };
                        return Leaf::NumScaled { x: xs, y, k, op: *op, margin };
                    }
                }
            }
            CExpr::Bin(op @ (BinOp::Eq | BinOp::Ne), x, c) if self.kind(x) == Some(Kind::Bool) => {
                if let (Some(src), CExpr::Bool(b)) = (Self::src(x), c.as_ref()) {
                    let lut = if *b == (*op == BinOp::Eq) { ID } else { FLIP };
                    return Leaf::Truth { src, lut };
                }
            }
            CExpr::Field(_) | CExpr::Derived(_) if self.kind(e) == Some(Kind::Bool) => {
                if let Some(src) = Self::src(e) {
                    return Leaf::Truth { src, lut: ID };
                }
            }
            CExpr::Not(x) if self.kind(x) == Some(Kind::Bool) => {
                if let Some(src) = Self::src(x) {
                    return Leaf::Truth { src, lut: FLIP };
                }
            }
            _ => {}
        }
        if let Some(l) = self.text_leaf(e, false) {
            return l;
        }
        let near = match (numeric_threshold(e), margin) {
            (Some((op, lhs, rhs)), Some(m)) => Some((op, self.vexpr(lhs, as_of_days), self.vexpr(rhs, as_of_days), m)),
            _ => None,
        };
        Leaf::Generic { e: self.vexpr(e, as_of_days), near }
    }
}

fn reorder(t: &TNode) -> TNode {
    match t {
        TNode::Leaf(l) => TNode::Leaf(*l),
        TNode::Not(x) => TNode::Not(Box::new(reorder(x))),
        TNode::All(cs) | TNode::AtLeast(_, cs) => {
            let mut v: Vec<TNode> = cs.iter().map(reorder).collect();
            v.sort_by_key(|c| !matches!(c, TNode::Leaf(_)));
            match t {
                TNode::All(_) => TNode::All(v),
                TNode::AtLeast(k, _) => TNode::AtLeast(*k, v),
                _ => TNode::All(v),
            }
        }
    }
}

impl Plan {
    /// Binds the plan to a table (cheap: proportional to the leaves and the distinct text values).
    pub fn bind<'a>(&'a self, cols: &'a Columns) -> Bound<'a> {
        let mut b = Binder {
            cols,
            kinds: self.fields.iter().map(|(_, t)| Kind::of(t)).collect(),
            derived_kinds: self.derived.iter().map(|(_, k)| *k).collect(),
            ext: HashMap::new(),
            ext_strings: Vec::new(),
            specs: Vec::new(),
        };
        let as_of_days = self.as_of.days_since_epoch() as i32;
        let derived =
            self.derived.iter().zip(&self.derived_needed).map(|((e, _), need)| need.then(|| b.vexpr(e, as_of_days))).collect();
        let leaves: Vec<Leaf> = self.leaves.iter().map(|l| b.leaf(&l.expr, l.margin, as_of_days)).collect();
        let mut region_names: Vec<&str> = Vec::new();
        let mut regions = Vec::new();
        let mut policy_region = Vec::new();
        for p in &self.policies {
            policy_region.push(p.region.as_deref().map(|r| match region_names.iter().position(|x| *x == r) {
                Some(i) => i,
                None => {
                    region_names.push(r);
                    let id = b.text_id(r);
                    b.specs.push((TextFn::Within, vec![id], false));
                    regions.push(b.specs.len() - 1);
                    regions.len() - 1
                }
            }));
        }
        let mut strings: Vec<String> = cols.interner().strings().to_vec();
        strings.extend(b.ext_strings.iter().cloned());
        // The outcome (F / T) of text test `spec` for the string of id `id`.
        let outcome = |(f, ids, not): &TextSpec, id: u32| -> u8 {
            let hit = match f {
                // Ids are unique per string: compare the literals' ids, no string comparison.
                TextFn::In => ids.contains(&id),
                _ => {
                    let s = strings.get(id as usize).map_or("", String::as_str);
                    ids.iter().filter_map(|&i| strings.get(i as usize)).any(|p| match f {
                        TextFn::Prefix => s.starts_with(p.as_str()),
                        TextFn::In => s == p,
                        TextFn::Within => region_contains(p, s),
                    })
                }
            };
            if hit ^ not { T } else { F }
        };
        // Text tests of a leaf on a field with a local dictionary get a table over the field's
        // distinct values only; the others (derived facts, generic expressions, unsealed
        // tables) one over every string of the table.
        let mut leaves: Vec<Leaf> = leaves;
        let mut global = vec![true; b.specs.len()];
        let mut sorted: HashMap<usize, LocalIndex> = HashMap::new();
        // (field, cut length) → (index into `truncated`, cut values in code order).
        let mut cuts: HashMap<(usize, usize), (usize, Vec<String>)> = HashMap::new();
        let mut truncated: Vec<Vec<u16>> = Vec::new();
        for l in &mut leaves {
            if let Leaf::TextLut { src: Src::Field(i), table } = l
                && let Some(lc) = cols.local_codes(*i)
                && let (TextFn::Prefix, ids, not) = &b.specs[*table]
                && let Some(cut) = ids.iter().map(|&id| strings.get(id as usize).map(String::len)).max().flatten()
                && cut > 0
            {
                global[*table] = false;
                let (k, values) = cuts.entry((*i, cut)).or_insert_with(|| {
                    let (codes, values) = cut_codes(lc, &strings, cut);
                    truncated.push(codes);
                    (truncated.len() - 1, values)
                });
                let lits: Vec<&str> = ids.iter().filter_map(|&id| strings.get(id as usize).map(String::as_str)).collect();
                let mut t: Vec<u8> =
                    values.iter().map(|v| if lits.iter().any(|p| v.starts_with(p)) ^ not { PT } else { PF }).collect();
                t.push(PU);
                *l = Leaf::TextPrefix { truncated: *k, table: t };
                continue;
            }
            if let Leaf::TextLut { src: Src::Field(i), table } = l
                && let Some(lc) = cols.local_codes(*i)
            {
                global[*table] = false;
                let ix = sorted.entry(*i).or_insert_with(|| LocalIndex::new(lc, &strings));
                let mut t: Vec<u8> =
                    ix.table(&b.specs[*table], &strings, &outcome).into_iter().map(|x| PACK[usize::from(x)]).collect();
                // The code of unknown rows (their local code is clamped to the last entry).
                t.push(PU);
                *l = Leaf::TextLocal { field: *i, table: t };
            }
        }
        let region_local = self.region_field.and_then(|r| cols.local_codes(r).map(|lc| (r, lc))).map(|(r, lc)| {
            let ix = sorted.entry(r).or_insert_with(|| LocalIndex::new(lc, &strings));
            regions
                .iter()
                .map(|&spec| {
                    global[spec] = false;
                    ix.table(&b.specs[spec], &strings, &outcome)
                })
                .collect::<Vec<_>>()
        });
        let tables: Vec<Vec<u8>> = b
            .specs
            .iter()
            .zip(&global)
            .map(|(spec, &g)| if g { (0..strings.len() as u32).map(|id| outcome(spec, id)).collect() } else { Vec::new() })
            .collect();
        let packed_tables =
            tables.iter().map(|t: &Vec<u8>| t.iter().map(|&x| PACK.get(x as usize).copied().unwrap_or(PU)).collect()).collect();
        let trees = self.policies.iter().map(|p| reorder(&p.root)).collect();
        let mut shared = 0;
        let slots = self
            .leaves
            .iter()
            .map(|l| {
                if l.uses > 1 {
                    shared += 1;
                    (shared - 1) as u32
                } else {
                    u32::MAX
                }
            })
            .collect();
        let local = (0..self.fields.len()).map(|i| cols.local_codes(i)).collect();
        Bound {
            truncated,
            plan: self,
            cols,
            leaves,
            derived,
            tables,
            packed_tables,
            strings,
            policy_region,
            regions,
            region_local,
            local,
            trees,
            slots,
            shared,
        }
    }
}

/// A text column's values cut to `cut` bytes (at a character boundary at or before it): a code
/// per row (`u16::MAX` when unknown) and the distinct cut values by code. For a literal `p` of
/// at most `cut` bytes, `s.starts_with(p)` equals `cut(s).starts_with(p)`: if `s` is at least
/// as long as `p` and starts with it, `s` has a boundary at `p.len() <= cut` and keeps `p`;
/// if not, neither does its prefix.
fn cut_codes(lc: &LocalCodes, strings: &[String], cut: usize) -> (Vec<u16>, Vec<String>) {
    let mut index: HashMap<&str, u16> = HashMap::new();
    let mut values: Vec<String> = Vec::new();
    let by_local: Vec<u16> = lc
        .dict
        .iter()
        .map(|&id| {
            let s = strings.get(id as usize).map_or("", String::as_str);
            let end = (0..=cut.min(s.len())).rev().find(|&e| s.is_char_boundary(e)).unwrap_or(0);
            let v = &s[..end];
            *index.entry(v).or_insert_with(|| {
                values.push(v.to_string());
                (values.len() - 1) as u16
            })
        })
        .collect();
    // Fewer cut values than local codes, which fit 16 bits with room for "unknown".
    let codes = lc.codes.iter().map(|&c| by_local.get(usize::from(c)).copied().unwrap_or(u16::MAX)).collect();
    (codes, values)
}

/// A text column's distinct values in string order, to build a text test's table over the
/// column's local codes by marking ranges: the strings with a given prefix are contiguous.
struct LocalIndex {
    /// Local codes sorted by their strings.
    order: Vec<u16>,
    /// Their strings, in the same order.
    keys: Vec<String>,
    /// Local code of each interner id present in the column.
    code_of: HashMap<u32, u16>,
    /// Interner id of each local code.
    dict: Vec<u32>,
}

impl LocalIndex {
    fn new(lc: &LocalCodes, strings: &[String]) -> LocalIndex {
        let s = |id: u32| strings.get(id as usize).cloned().unwrap_or_default();
        let mut order: Vec<u16> = (0..lc.dict.len() as u16).collect();
        order.sort_by_cached_key(|&c| s(lc.dict[usize::from(c)]));
        let keys = order.iter().map(|&c| s(lc.dict[usize::from(c)])).collect();
        let code_of = lc.dict.iter().enumerate().map(|(c, &id)| (id, c as u16)).collect();
        LocalIndex { order, keys, code_of, dict: lc.dict.clone() }
    }

    /// The tri outcome (F / T) of `spec` per local code; `outcome` decides a candidate exactly.
    fn table(&self, spec: &TextSpec, strings: &[String], outcome: &dyn Fn(&TextSpec, u32) -> u8) -> Vec<u8> {
        let (f, ids, not) = spec;
        let (hit, miss) = if *not { (F, T) } else { (T, F) };
        let mut t = vec![miss; self.order.len()];
        match f {
            TextFn::In => {
                for id in ids {
                    if let Some(&c) = self.code_of.get(id) {
                        t[usize::from(c)] = hit;
                    }
                }
            }
            TextFn::Prefix | TextFn::Within => {
                // Every hit starts with the literal (`prefix`) or with the part of the region
                // code that `region_contains` compares (a key that is a prefix of every hit is
                // enough: the exact test decides each candidate of the range).
                for &id in ids {
                    let Some(lit) = strings.get(id as usize) else { continue };
                    let key: &str = match f {
                        TextFn::Prefix => lit,
                        _ => {
                            let p = lit.trim_end_matches("00");
                            if p.len() % 2 == 1 { lit.get(..p.len() + 1).unwrap_or("") } else { p }
                        }
                    };
                    let from = self.keys.partition_point(|k| k.as_str() < key);
                    for (j, k) in self.keys[from..].iter().enumerate() {
                        if !k.starts_with(key) {
                            break;
                        }
                        let c = self.order[from + j];
                        if outcome(spec, self.dict[usize::from(c)]) != miss {
                            t[usize::from(c)] = hit;
                        }
                    }
                }
            }
        }
        t
    }
}

/// One evaluated block.
pub struct BlockResult<'r> {
    /// First row.
    pub start: usize,
    /// Rows in the block.
    pub len: usize,
    /// Number of policies.
    pub policies: usize,
    /// Status codes ([`super::code`]), policy-major: policy `p`, row `start + i` at `p * BLOCK + i`.
    pub statuses: &'r [u8],
    /// Whether policy `p` has any row that is not `ineligible` in this block.
    pub active: &'r [bool],
}

impl BlockResult<'_> {
    /// The status code of policy `p` for row `start + i`.
    pub fn status(&self, p: usize, i: usize) -> u8 {
        self.statuses[p * BLOCK + i]
    }

    /// The codes of policy `p` for the rows of the block.
    pub fn policy(&self, p: usize) -> &[u8] {
        &self.statuses[p * BLOCK..p * BLOCK + self.len]
    }
}

/// Packed codes (see [`super::leaf`]) of one tree level for a block, and the counters of an
/// `AtLeast(k)` with k > 1: strict true, strict unknown, relaxed true, relaxed unknown and the
/// gap. Bytes (16 rows per SSE2 instruction) for at most 254 children, so that no count
/// overflows; 32 bits beyond that.
struct Level {
    p: Vec<u8>,
    cnt8: [Vec<u8>; 5],
    cnt32: [Vec<u32>; 5],
}

impl Level {
    fn new() -> Level {
        Level { p: vec![0; BLOCK], cnt8: std::array::from_fn(|_| vec![0; BLOCK]), cnt32: std::array::from_fn(|_| Vec::new()) }
    }
}

/// A counter of `AtLeast(k)` children.
trait Count: Copy + Ord + From<u8> {
    fn add(self, x: Self) -> Self;
}

impl Count for u8 {
    #[inline(always)]
    fn add(self, x: u8) -> u8 {
        self.wrapping_add(x)
    }
}

impl Count for u32 {
    #[inline(always)]
    fn add(self, x: u32) -> u32 {
        self.wrapping_add(x)
    }
}

/// Adds a child's packed codes to the counters of an `AtLeast(k)` (never more children than
/// the counter type holds, so it never wraps).
#[inline(always)]
fn count_into<C: Count>(cnt: &mut [Vec<C>; 5], c: &[u8], n: usize) {
    let [ys, ms, yr, mr, g] = cnt;
    let lanes = ys[..n].iter_mut().zip(&mut ms[..n]).zip(yr[..n].iter_mut().zip(&mut mr[..n])).zip(g[..n].iter_mut().zip(c));
    for (((ys, ms), (yr, mr)), (g, &p)) in lanes {
        *ys = ys.add(C::from((p >> 1) & 1));
        *ms = ms.add(C::from(p & !(p >> 1) & 1));
        *yr = yr.add(C::from((p >> 3) & 1));
        *mr = mr.add(C::from((p >> 2) & !(p >> 3) & 1));
        // The child's gap counts where it is strictly false (0/1 in the counter type).
        *g = (*g).max(C::from(!(p >> 4) & !p & 1));
    }
}

/// `AtLeast(k)` over the children's counts: packed codes into `out`.
#[inline(always)]
fn at_least<C: Count>(cnt: &[Vec<C>; 5], k: C, out: &mut [u8]) {
    let n = out.len();
    let [ys, ms, yr, mr, g] = cnt;
    let one = C::from(1);
    let lanes = out.iter_mut().zip(ys[..n].iter().zip(&ms[..n])).zip(yr[..n].iter().zip(&mr[..n]).zip(&g[..n]));
    for ((o, (&ys, &ms)), ((&yr, &mr), &g)) in lanes {
        // Thermometer codes: false 00, unknown 01, true 11. `yes + maybe` cannot wrap: both
        // count distinct children.
        let tri = |yes: C, maybe: C| u8::from(yes.add(maybe) >= k) | (u8::from(yes >= k) << 1);
        let (s, r) = (tri(ys, ms), tri(yr, mr));
        let gap = u8::from(g == one) & u8::from(s == 0) & u8::from(r != 0);
        *o = s | (r << 2) | ((gap ^ 1) << 4);
    }
}

/// Scratch space of one thread running a bound plan.
pub struct Runner<'a> {
    bound: &'a Bound<'a>,
    known: Vec<Vec<u8>>,
    derived: Vec<Option<BV>>,
    /// Results of the leaves used by more than one policy (slot per [`Bound::slots`]).
    cache: Vec<u8>,
    stamp: Vec<u32>,
    /// Results of a leaf used once, consumed at once (stays in L1).
    scratch: Vec<u8>,
    block_no: u32,
    levels: Vec<Level>,
    statuses: Vec<u8>,
    active: Vec<bool>,
    region: Vec<u8>,
    region_stamp: Vec<u32>,
}

impl<'a> Bound<'a> {
    /// Scratch space for one thread.
    pub fn runner(&'a self) -> Runner<'a> {
        let depth = self.trees.iter().map(depth).max().unwrap_or(1) + 1;
        let known = self
            .plan
            .fields_used
            .iter()
            .enumerate()
            .map(|(i, u)| if *u && matches!(self.cols.column(i), Column::Num { .. }) { vec![0; BLOCK] } else { Vec::new() })
            .collect();
        Runner {
            bound: self,
            known,
            derived: vec![None; self.derived.len()],
            cache: vec![0; self.shared * BLOCK],
            stamp: vec![0; self.shared],
            scratch: vec![0; BLOCK],
            block_no: 0,
            levels: (0..depth).map(|_| Level::new()).collect(),
            statuses: vec![0; self.plan.policies.len() * BLOCK],
            active: vec![false; self.plan.policies.len()],
            region: vec![0; self.regions.len() * BLOCK],
            region_stamp: vec![0; self.regions.len()],
        }
    }

    /// How many distinct leaves got each kernel: fused numeric threshold, scaled threshold,
    /// yes/no, text table, generic interpreter.
    pub fn kernel_counts(&self) -> [(&'static str, usize); 5] {
        let mut c = [("num_threshold", 0), ("num_scaled", 0), ("yes_no", 0), ("text_table", 0), ("generic", 0)];
        for l in &self.leaves {
            let i = match l {
                Leaf::NumCmp { .. } | Leaf::RankCmp { .. } => 0,
                Leaf::NumScaled { .. } | Leaf::NumSum { .. } => 1,
                Leaf::Truth { .. } => 2,
                Leaf::TextLut { .. } | Leaf::TextIn { .. } | Leaf::TextLocal { .. } | Leaf::TextPrefix { .. } => 3,
                Leaf::Generic { .. } => 4,
            };
            c[i].1 += 1;
        }
        c
    }

    /// Number of rows of the table.
    pub fn rows(&self) -> usize {
        self.cols.len()
    }
}

fn depth(t: &TNode) -> usize {
    match t {
        TNode::Leaf(_) => 1,
        TNode::Not(x) => 1 + depth(x),
        TNode::All(cs) | TNode::AtLeast(_, cs) => 1 + cs.iter().map(depth).max().unwrap_or(0),
    }
}

/// Leaf results of the current block, computed on first use.
struct Leaves<'r, 'b> {
    leaves: &'r [Leaf],
    slots: &'r [u32],
    cache: &'r mut [u8],
    stamp: &'r mut [u32],
    scratch: &'r mut [u8],
    block_no: u32,
    inp: &'r Inputs<'b>,
}

impl Leaves<'_, '_> {
    fn get(&mut self, id: u32) -> &[u8] {
        let i = id as usize;
        let n = self.inp.cx.n;
        let slot = self.slots[i];
        if slot == u32::MAX {
            // Used by one policy only: computed into the scratch block and consumed at once.
            self.leaves[i].run(self.inp, self.scratch);
            return &self.scratch[..n];
        }
        let j = slot as usize;
        let out = &mut self.cache[j * BLOCK..(j + 1) * BLOCK];
        if self.stamp[j] != self.block_no {
            self.stamp[j] = self.block_no;
            self.leaves[i].run(self.inp, out);
        }
        &out[..n]
    }
}

fn any_nonzero(v: &[u8]) -> bool {
    v.iter().fold(0u8, |a, &x| a | x) != 0
}

/// `All`: Kleene `and` of strict and relaxed, `or` of the gaps (inverted: `and`); relaxed false
/// everywhere stops early. Returns whether some row is still relaxed not false.
#[inline(always)]
fn and_into(acc: &mut [u8], c: &[u8]) -> bool {
    let mut any = 0u8;
    for (a, &c) in acc.iter_mut().zip(c) {
        *a &= c;
        any |= *a;
    }
    any & 0b100 != 0
}

/// `AtLeast(1)`: Kleene `or` of strict and relaxed; a child's gap counts only where the child is
/// strictly false. Returns whether some row is not yet strictly true.
#[inline(always)]
fn or_into(acc: &mut [u8], c: &[u8]) -> bool {
    let mut all = 0xFFu8;
    for (a, &c) in acc.iter_mut().zip(c) {
        let x = *a;
        let ng = x & (c | (c << 4)) & 0x10;
        let v = ((x | c) & 0x0F) | ng;
        *a = v;
        all &= v;
    }
    all & 0b10 == 0
}

/// Evaluates `t` into `lv[0].p` (packed codes), using `lv[1..]` for children.
fn node(t: &TNode, lv: &mut [Level], lc: &mut Leaves<'_, '_>, n: usize) {
    let Some((cur, rest)) = lv.split_first_mut() else { return };
    match t {
        TNode::Leaf(id) => {
            let c = lc.get(*id);
            cur.p[..n].copy_from_slice(c);
        }
        TNode::Not(x) => {
            node(x, rest, lc, n);
            let Some(child) = rest.first() else { return };
            for (o, &c) in cur.p[..n].iter_mut().zip(&child.p[..n]) {
                // strict' = T - strict: "not false" is "not true" before, "true" is "false" before.
                let s = ((!c >> 1) & 1) | ((!c & 1) << 1);
                *o = s | (s << 2) | 0x10;
            }
        }
        TNode::All(cs) => {
            cur.p[..n].fill(PT);
            for c in cs {
                let live = match c {
                    TNode::Leaf(id) => and_into(&mut cur.p[..n], lc.get(*id)),
                    other => {
                        node(other, rest, lc, n);
                        let Some(child) = rest.first() else { return };
                        and_into(&mut cur.p[..n], &child.p[..n])
                    }
                };
                // Relaxed false everywhere (hence strict false): the rest cannot change anything.
                if !live {
                    break;
                }
            }
            // A gap counts only where relaxed is not false.
            for p in cur.p[..n].iter_mut() {
                *p |= (!*p << 2) & 0x10;
            }
        }
        TNode::AtLeast(1, cs) => {
            cur.p[..n].fill(PF);
            for c in cs {
                let open = match c {
                    TNode::Leaf(id) => or_into(&mut cur.p[..n], lc.get(*id)),
                    other => {
                        node(other, rest, lc, n);
                        let Some(child) = rest.first() else { return };
                        or_into(&mut cur.p[..n], &child.p[..n])
                    }
                };
                // Strict true everywhere: the group holds and reports no gap.
                if !open {
                    break;
                }
            }
            // A gap counts only where strict is false and relaxed is not.
            for p in cur.p[..n].iter_mut() {
                *p |= ((*p << 4) | (!*p << 2)) & 0x10;
            }
        }
        TNode::AtLeast(k, cs) => {
            macro_rules! counted {
                ($cnt:ident, $t:ty) => {{
                    // No count exceeds the number of children, which the type holds: `k` above
                    // it is clamped without changing any comparison.
                    let k = <$t>::try_from(*k).unwrap_or(<$t>::MAX);
                    for v in cur.$cnt.iter_mut() {
                        v.clear();
                        v.resize(n, 0);
                    }
                    for c in cs {
                        match c {
                            TNode::Leaf(id) => count_into(&mut cur.$cnt, lc.get(*id), n),
                            other => {
                                node(other, rest, lc, n);
                                let Some(child) = rest.first() else { return };
                                count_into(&mut cur.$cnt, &child.p[..n], n);
                            }
                        }
                    }
                    at_least(&cur.$cnt, k, &mut cur.p[..n]);
                }};
            }
            if cs.len() < usize::from(u8::MAX) { counted!(cnt8, u8) } else { counted!(cnt32, u32) }
        }
    }
}

impl<'a> Runner<'a> {
    /// Evaluates rows `range` block by block, handing each block to `sink`.
    pub fn run(&mut self, range: std::ops::Range<usize>, mut sink: impl FnMut(&BlockResult<'_>)) {
        let end = range.end.min(self.bound.cols.len());
        let mut start = range.start;
        while start < end {
            let n = (end - start).min(BLOCK);
            self.block(start, n);
            sink(&BlockResult {
                start,
                len: n,
                policies: self.bound.plan.policies.len(),
                statuses: &self.statuses,
                active: &self.active,
            });
            start += n;
        }
    }

    fn block(&mut self, start: usize, n: usize) {
        let b = self.bound;
        self.block_no = self.block_no.wrapping_add(1).max(1);
        // Known bits of numeric columns as bytes for this block.
        for (i, k) in self.known.iter_mut().enumerate() {
            if let Column::Num { known, .. } = b.cols.column(i) {
                for (j, x) in k[..n].iter_mut().enumerate() {
                    let row = start + j;
                    *x = ((known[row / 64] >> (row % 64)) & 1) as u8;
                }
            }
        }
        // Derived facts, once per block, in order.
        for d in 0..b.derived.len() {
            let v = match &b.derived[d] {
                Some(e) => {
                    let cx = Ctx {
                        start,
                        n,
                        cols: cols_slice(b.cols),
                        local: &b.local,
                        known: &self.known,
                        derived: &self.derived,
                        tables: &b.tables,
                        strings: &b.strings,
                        as_of: b.plan.as_of,
                    };
                    Some(veval(e, &cx))
                }
                None => None,
            };
            self.derived[d] = v;
        }
        let cx = Ctx {
            start,
            n,
            cols: cols_slice(b.cols),
            local: &b.local,
            known: &self.known,
            derived: &self.derived,
            tables: &b.tables,
            strings: &b.strings,
            as_of: b.plan.as_of,
        };
        let inp = Inputs { cx: &cx, packed_tables: &b.packed_tables, truncated: &b.truncated };
        let mut lc = Leaves {
            leaves: &b.leaves,
            slots: &b.slots,
            cache: &mut self.cache,
            stamp: &mut self.stamp,
            scratch: &mut self.scratch,
            block_no: self.block_no,
            inp: &inp,
        };
        let region_ids: Option<&[u32]> = match b.plan.region_field.map(|r| b.cols.column(r)) {
            Some(Column::Text(v)) => Some(&v[start..start + n]),
            _ => None,
        };
        let region_codes: Option<&[u16]> =
            b.plan.region_field.and_then(|r| b.local.get(r).copied().flatten()).map(|l| &l.codes[start..start + n]);
        for (p, tree) in b.trees.iter().enumerate() {
            let out = &mut self.statuses[p * BLOCK..p * BLOCK + n];
            // The region first: a block entirely outside it never touches the rule.
            let reg: Option<&[u8]> = match b.policy_region[p] {
                None => None,
                Some(ri) => {
                    let slot = &mut self.region[ri * BLOCK..(ri + 1) * BLOCK];
                    if self.region_stamp[ri] != self.block_no {
                        self.region_stamp[ri] = self.block_no;
                        let t = &b.tables[b.regions[ri]];
                        match (region_ids, &b.region_local, region_codes) {
                            (_, Some(rl), Some(codes)) => {
                                let t = &rl[ri];
                                for (o, &c) in slot.iter_mut().zip(codes) {
                                    *o = t.get(usize::from(c)).copied().unwrap_or(U);
                                }
                            }
                            (Some(ids), _, _) => {
                                for (o, &id) in slot.iter_mut().zip(ids) {
                                    *o = t.get(id as usize).copied().unwrap_or(U);
                                }
                            }
                            _ => slot[..n].fill(U),
                        }
                    }
                    Some(&slot[..n])
                }
            };
            if let Some(reg) = reg
                && !any_nonzero(reg)
            {
                out.fill(code::INELIGIBLE);
                self.active[p] = false;
                continue;
            }
            node(tree, &mut self.levels, &mut lc, n);
            let root = &self.levels[0];
            for (o, &p) in out.iter_mut().zip(&root.p[..n]) {
                // strict true → eligible (3), unknown → possible (2), false with relaxed not
                // false and a gap → near miss (1), else ineligible (0).
                let s = p & 0b11;
                let near = (p >> 2) & (!p >> 4) & 1 & u8::from(s == 0);
                *o = s + u8::from(s != 0) - (s >> 1) + near;
            }
            if let Some(reg) = reg {
                for (o, &rg) in out.iter_mut().zip(reg) {
                    let st = *o;
                    let st = if rg == U && st == code::ELIGIBLE { code::POSSIBLE } else { st };
                    *o = if rg == F { code::INELIGIBLE } else { st };
                }
            }
            self.active[p] = out.iter().fold(0u8, |a, &x| a | x) != 0;
        }
    }
}

fn cols_slice(c: &Columns) -> &[Column] {
    c.columns()
}

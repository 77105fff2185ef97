//! Condition leaves bound to a table, and their kernels over a block.
//!
//! A leaf writes one packed byte per row ([`PF`], [`PU`], [`PT`] or [`PNEAR`]: strictly false,
//! but a numeric threshold missed by at most the rule's margin, so relaxed true with a gap), the
//! decision `zhengce_rules::judge` makes for a `Check`. Common shapes get fused kernels; every
//! other leaf goes through the generic block interpreter ([`super::vexpr`]).
//!
//! ## Packed codes
//!
//! A packed byte holds the three results the condition tree combines, as bit planes:
//!
//! | bit | meaning |
//! |---|---|
//! | 0 | strict result is not false (unknown or true) |
//! | 1 | strict result is true |
//! | 2 | relaxed result is not false |
//! | 3 | relaxed result is true |
//! | 4 | no gap (inverted, so that it combines like the others) |
//!
//! A three-valued result is a "thermometer" (false `00`, unknown `01`, true `11`), so Kleene
//! `and` (min) is bitwise AND and `or` (max) bitwise OR; with the gap stored inverted, an `All`
//! of children is the bitwise AND of their bytes, 16 rows per SSE2 instruction.

use zhengce_rules::expr::BinOp;

use super::BLOCK;
use super::table::RankVec;
use super::vexpr::{BV, Ctx, F, T, U, VExpr, veval};

/// Strictly false, relaxed true (a near miss with a gap) in the single-enterprise path's tri codes.
pub(crate) const NEAR: u8 = 3;

/// Packed: false (strict and relaxed), no gap.
pub(crate) const PF: u8 = 0b1_0000;
/// Packed: unknown (strict and relaxed), no gap.
pub(crate) const PU: u8 = 0b1_0101;
/// Packed: true (strict and relaxed), no gap.
pub(crate) const PT: u8 = 0b1_1111;
/// Packed: strictly false, relaxed true, with a gap (a near miss).
pub(crate) const PNEAR: u8 = 0b0_1100;
/// Tri byte ([`F`], [`U`], [`T`]) to packed.
pub(crate) const PACK: [u8; 3] = [PF, PU, PT];

/// The near-miss test of `zhengce_rules::judge` (`Ctx::near_miss`): `x op y` failed; is the
/// shortfall at most `margin` of the threshold `y`?
#[inline(always)]
pub(crate) fn near_miss(op: BinOp, x: f64, y: f64, margin: f64) -> bool {
    let short = if matches!(op, BinOp::Ge | BinOp::Gt) { y - x } else { x - y };
    y != 0.0 && short <= margin * y.abs()
}

/// The code of a known, non-NaN value `x` for the threshold `x op c` (as `judge` decides a leaf).
pub(crate) fn threshold_code(op: BinOp, x: f64, c: f64, margin: Option<f64>) -> u8 {
    let Some(o) = x.partial_cmp(&c) else { return U };
    let pass = op.holds(o);
    if pass {
        T
    } else if margin.is_some_and(|m| near_miss(op, x, c, m)) {
        NEAR
    } else {
        F
    }
}

/// A threshold over a ranked column: the codes along the distinct values (ascending) form at
/// most three runs, found by binary search with [`threshold_code`] itself.
pub(crate) fn rank_leaf(field: usize, distinct: &[f64], op: BinOp, c: f64, margin: Option<f64>) -> Leaf {
    let d = distinct.len() as u32;
    let code = |x: f64| threshold_code(op, x, c, margin);
    let first = |pred: &dyn Fn(u8) -> bool| distinct.partition_point(|&x| !pred(code(x))) as u32;
    let run = |from: u32, to: u32| (from, to.saturating_sub(from));
    match op {
        // F… NEAR… T…
        BinOp::Ge | BinOp::Gt => {
            let t = first(&|k| k == T);
            let nr = first(&|k| k == T || k == NEAR).min(t);
            let (a1, w1) = run(t, d);
            let (a2, w2) = run(nr, t);
            Leaf::RankCmp { field, a1, w1, x1: PT, a2, w2, x2: PNEAR, z: PF }
        }
        // T… NEAR… F…
        BinOp::Le | BinOp::Lt => {
            let not_t = first(&|k| k != T);
            let f = first(&|k| k == F).max(not_t);
            let (a1, w1) = run(0, not_t);
            let (a2, w2) = run(not_t, f);
            Leaf::RankCmp { field, a1, w1, x1: PT, a2, w2, x2: PNEAR, z: PF }
        }
        // F… T… F… (Eq) or T… F… T… (Ne): the run of values equal to c.
        _ => {
            let lo = distinct.partition_point(|&x| x < c) as u32;
            let hi = distinct.partition_point(|&x| x <= c) as u32;
            let (a1, w1) = run(lo, hi);
            let (inside, outside) = if op == BinOp::Eq { (PT, PF) } else { (PF, PT) };
            Leaf::RankCmp { field, a1, w1, x1: inside, a2: 0, w2: 0, x2: outside, z: outside }
        }
    }
}

/// Where a fused kernel reads its input.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Src {
    Field(usize),
    Derived(usize),
}

/// A bound leaf.
#[derive(Clone, Debug)]
pub(crate) enum Leaf {
    /// `x op c` for a numeric field or derived fact `x` and a constant `c`; `margin` when it is a
    /// numeric threshold (near misses apply).
    NumCmp { src: Src, op: BinOp, c: f64, margin: Option<f64> },
    /// A numeric threshold on a ranked column: rows whose rank lies in `[a1, a1 + w1)` get `x1`,
    /// else in `[a2, a2 + w2)` get `x2`, else `z`; unranked rows are unknown.
    RankCmp { field: usize, a1: u32, w1: u32, x1: u8, a2: u32, w2: u32, x2: u8, z: u8 },
    /// `x op y * k` (or `k * y`) for numeric `x`, `y` and a constant `k`.
    NumScaled { x: Src, y: Src, k: f64, op: BinOp, margin: Option<f64> },
    /// A text value among up to four ids (`x == 'a'`, `x != 'a'`, `in(x, 'a', 'b')`): `hit` when
    /// it is one of them, `miss` otherwise, unknown when unknown. Compares instead of a lookup.
    TextIn { src: Src, ids: [u32; 4], hit: u8, miss: u8 },
    /// `x + y op c` for numeric `x`, `y` and a constant `c`.
    NumSum { x: Src, y: Src, c: f64, op: BinOp, margin: Option<f64> },
    /// A yes/no value mapped through a table (`x`, `x == true`, `x != false`, `not x`, …).
    Truth { src: Src, lut: [u8; 3] },
    /// A text test through table `table` (`x == 'a'`, `in(x, …)`, `prefix(x, …)`, `within(x, …)`).
    TextLut { src: Src, table: usize },
    /// A text test on a field with a local dictionary ([`super::table::LocalCodes`]): `table`
    /// gives the packed code of each local code, then [`PU`] (the last entry, for unknown).
    TextLocal { field: usize, table: Vec<u8> },
    /// `prefix(x, …)` whose literals are at most L bytes long, over the codes of the column's
    /// values cut to L bytes (`truncated`, built once per bind: an industry code's first two or
    /// three digits). The outcome depends only on the cut value, and the cut values are few, so
    /// `table` (packed codes by truncated code, then [`PU`] for unknown) stays in L1.
    TextPrefix { truncated: usize, table: Vec<u8> },
    /// Anything else; `near` holds the threshold's sides and margin.
    Generic { e: VExpr, near: Option<(BinOp, VExpr, VExpr, f64)> },
}

/// Inputs of a block for the fused kernels.
pub(crate) struct Inputs<'b> {
    pub cx: &'b Ctx<'b>,
    /// The text test tables with packed codes (for [`Leaf::TextLut`]).
    pub packed_tables: &'b [Vec<u8>],
    /// Truncated text columns (for [`Leaf::TextPrefix`]): one code per row of the table.
    pub truncated: &'b [Vec<u16>],
}

impl Inputs<'_> {
    fn num(&self, s: Src) -> Option<(&[f64], &[u8])> {
        let cx = self.cx;
        match s {
            Src::Field(i) => match cx.cols.get(i) {
                Some(super::table::Column::Num { vals, .. }) => Some((&vals[cx.start..cx.start + cx.n], &cx.known[i][..cx.n])),
                _ => None,
            },
            Src::Derived(i) => match cx.derived.get(i) {
                Some(Some(BV::Num(v, k))) => Some((&v[..cx.n], &k[..cx.n])),
                _ => None,
            },
        }
    }

    fn tri(&self, s: Src) -> Option<&[u8]> {
        let cx = self.cx;
        match s {
            Src::Field(i) => match cx.cols.get(i) {
                Some(super::table::Column::Bool(v)) => Some(&v[cx.start..cx.start + cx.n]),
                _ => None,
            },
            Src::Derived(i) => match cx.derived.get(i) {
                Some(Some(BV::Bool(v))) => Some(&v[..cx.n]),
                _ => None,
            },
        }
    }

    fn text(&self, s: Src) -> Option<&[u32]> {
        let cx = self.cx;
        match s {
            Src::Field(i) => match cx.cols.get(i) {
                Some(super::table::Column::Text(v)) => Some(&v[cx.start..cx.start + cx.n]),
                _ => None,
            },
            Src::Derived(i) => match cx.derived.get(i) {
                Some(Some(BV::Text(v))) => Some(&v[..cx.n]),
                _ => None,
            },
        }
    }
}

#[inline(always)]
fn cmp_kernel(
    x: &[f64],
    k: &[u8],
    out: &mut [u8],
    c: f64,
    lim: Option<f64>,
    pass: impl Fn(f64) -> bool,
    short: impl Fn(f64) -> f64,
) {
    match lim {
        None => {
            for ((o, &x), &k) in out.iter_mut().zip(x).zip(k) {
                let ordered = !x.is_nan();
                let r = if pass(x) { PT } else { PF };
                *o = if k != 0 && ordered { r } else { PU };
            }
        }
        Some(lim) => {
            let _ = c;
            for ((o, &x), &k) in out.iter_mut().zip(x).zip(k) {
                let ordered = !x.is_nan();
                let r = if pass(x) {
                    PT
                } else if short(x) <= lim {
                    PNEAR
                } else {
                    PF
                };
                *o = if k != 0 && ordered { r } else { PU };
            }
        }
    }
}

/// `lhs op rhs` lane by lane, known where `kn` is nonzero and both sides are numbers, with
/// the near-miss test of `zhengce_rules::judge` when `margin` is set: branch-free, so that it
/// vectorizes (two doubles per SSE2 instruction).
#[inline(always)]
fn pair_kernel(lhs: &[f64], rhs: &[f64], kn: &[u8], op: BinOp, margin: Option<f64>, out: &mut [u8]) {
    #[inline(always)]
    fn go(
        lhs: &[f64],
        rhs: &[f64],
        kn: &[u8],
        margin: Option<f64>,
        out: &mut [u8],
        pass: impl Fn(f64, f64) -> bool,
        short: impl Fn(f64, f64) -> f64,
    ) {
        let lanes = out.iter_mut().zip(lhs.iter().zip(rhs)).zip(kn);
        match margin {
            None => {
                for ((o, (&a, &b)), &k) in lanes {
                    let ordered = !(a.is_nan() | b.is_nan());
                    let r = if pass(a, b) { PT } else { PF };
                    *o = if (k != 0) & ordered { r } else { PU };
                }
            }
            Some(m) => {
                for ((o, (&a, &b)), &k) in lanes {
                    let ordered = !(a.is_nan() | b.is_nan());
                    // `near_miss`: `y != 0 && short <= margin * |y|`, y the threshold side.
                    let near = (b != 0.0) & (short(a, b) <= m * b.abs());
                    let r = if pass(a, b) {
                        PT
                    } else if near {
                        PNEAR
                    } else {
                        PF
                    };
                    *o = if (k != 0) & ordered { r } else { PU };
                }
            }
        }
    }
    match op {
        BinOp::Ge => go(lhs, rhs, kn, margin, out, |a, b| a >= b, |a, b| b - a),
        BinOp::Gt => go(lhs, rhs, kn, margin, out, |a, b| a > b, |a, b| b - a),
        BinOp::Le => go(lhs, rhs, kn, margin, out, |a, b| a <= b, |a, b| a - b),
        BinOp::Lt => go(lhs, rhs, kn, margin, out, |a, b| a < b, |a, b| a - b),
        BinOp::Eq => go(lhs, rhs, kn, margin, out, |a, b| a == b, |a, b| a - b),
        _ => go(lhs, rhs, kn, margin, out, |a, b| a != b, |a, b| a - b),
    }
}

impl Leaf {
    /// Evaluates the leaf over the block into `out` (one packed code per row).
    pub(crate) fn run(&self, inp: &Inputs<'_>, out: &mut [u8]) {
        let n = inp.cx.n;
        let out = &mut out[..n];
        match self {
            Leaf::NumCmp { src, op, c, margin } => {
                let Some((x, k)) = inp.num(*src) else {
                    out.fill(PU);
                    return;
                };
                let c = *c;
                // `y != 0 && short <= margin * |y|` with the constant threshold y = c.
                let lim = margin.filter(|_| c != 0.0).map(|m| m * c.abs());
                match op {
                    BinOp::Ge => cmp_kernel(x, k, out, c, lim, |x| x >= c, |x| c - x),
                    BinOp::Gt => cmp_kernel(x, k, out, c, lim, |x| x > c, |x| c - x),
                    BinOp::Le => cmp_kernel(x, k, out, c, lim, |x| x <= c, |x| x - c),
                    BinOp::Lt => cmp_kernel(x, k, out, c, lim, |x| x < c, |x| x - c),
                    BinOp::Eq => cmp_kernel(x, k, out, c, None, |x| x == c, |_| 0.0),
                    _ => cmp_kernel(x, k, out, c, None, |x| x != c, |_| 0.0),
                }
            }
            Leaf::RankCmp { field, a1, w1, x1, a2, w2, x2, z } => {
                let cx = inp.cx;
                let Some(super::table::Column::Num { ranks: Some(rk), .. }) = cx.cols.get(*field) else {
                    out.fill(PU);
                    return;
                };
                let (a1, w1, x1, a2, w2, x2, z) = (*a1, *w1, *x1, *a2, *w2, *x2, *z);
                // The bounds are below the number of distinct values, so they fit the width.
                macro_rules! kernel {
                    ($r:expr, $t:ty) => {{
                        let r = &$r[cx.start..cx.start + n];
                        let (a1, w1, a2, w2) = (a1 as $t, w1 as $t, a2 as $t, w2 as $t);
                        for (o, &r) in out.iter_mut().zip(r) {
                            let c = if r.wrapping_sub(a1) < w1 {
                                x1
                            } else if r.wrapping_sub(a2) < w2 {
                                x2
                            } else {
                                z
                            };
                            *o = if r == <$t>::MAX { PU } else { c };
                        }
                    }};
                }
                match &rk.rank {
                    RankVec::U8(r) => kernel!(r, u8),
                    RankVec::U16(r) => kernel!(r, u16),
                    RankVec::U32(r) => kernel!(r, u32),
                }
            }
            Leaf::NumScaled { x, y, k, op, margin } => {
                let (Some((xv, xk)), Some((yv, yk))) = (inp.num(*x), inp.num(*y)) else {
                    out.fill(PU);
                    return;
                };
                let k = *k;
                let (mut rhs, mut kn) = ([0.0f64; BLOCK], [0u8; BLOCK]);
                for i in 0..n {
                    rhs[i] = yv[i] * k;
                    kn[i] = xk[i] & yk[i];
                }
                pair_kernel(xv, &rhs[..n], &kn[..n], *op, *margin, out);
            }
            Leaf::NumSum { x, y, c, op, margin } => {
                let (Some((xv, xk)), Some((yv, yk))) = (inp.num(*x), inp.num(*y)) else {
                    out.fill(PU);
                    return;
                };
                let (mut lhs, mut kn) = ([0.0f64; BLOCK], [0u8; BLOCK]);
                for i in 0..n {
                    lhs[i] = xv[i] + yv[i];
                    kn[i] = xk[i] & yk[i];
                }
                let rhs = [*c; BLOCK];
                pair_kernel(&lhs[..n], &rhs[..n], &kn[..n], *op, *margin, out);
            }
            Leaf::Truth { src, lut } => {
                let Some(x) = inp.tri(*src) else {
                    out.fill(PU);
                    return;
                };
                let [a, b, c] = *lut;
                for (o, &x) in out.iter_mut().zip(x) {
                    *o = if x == T {
                        c
                    } else if x == U {
                        b
                    } else {
                        a
                    };
                }
            }
            Leaf::TextIn { src, ids: [a, b, c, d], hit, miss } => {
                let Some(x) = inp.text(*src) else {
                    out.fill(PU);
                    return;
                };
                let (a, b, c, d, hit, miss) = (*a, *b, *c, *d, *hit, *miss);
                for (o, &id) in out.iter_mut().zip(x) {
                    let is = (id == a) | (id == b) | (id == c) | (id == d);
                    let v = if is { hit } else { miss };
                    *o = if id == super::table::NONE_TEXT { PU } else { v };
                }
            }
            Leaf::TextLut { src, table } => {
                let Some(ids) = inp.text(*src) else {
                    out.fill(PU);
                    return;
                };
                let t: &[u8] = &inp.packed_tables[*table];
                for (o, &id) in out.iter_mut().zip(ids) {
                    *o = t.get(id as usize).copied().unwrap_or(PU);
                }
            }
            Leaf::TextLocal { field, table } => {
                let cx = inp.cx;
                let Some(l) = cx.local.get(*field).and_then(|l| *l) else {
                    out.fill(PU);
                    return;
                };
                // The table ends with the code of an unknown value: clamping the code (u16::MAX
                // when unknown) replaces a branch that mispredicts on every unknown row.
                let t: &[u8] = table;
                let last = t.len() - 1;
                for (o, &c) in out.iter_mut().zip(&l.codes[cx.start..cx.start + n]) {
                    *o = t[usize::from(c).min(last)];
                }
            }
            Leaf::TextPrefix { truncated, table } => {
                let cx = inp.cx;
                let Some(codes) = inp.truncated.get(*truncated) else {
                    out.fill(PU);
                    return;
                };
                let t: &[u8] = table;
                let last = t.len() - 1;
                for (o, &c) in out.iter_mut().zip(&codes[cx.start..cx.start + n]) {
                    *o = t[usize::from(c).min(last)];
                }
            }
            Leaf::Generic { e, near } => {
                let BV::Bool(s) = veval(e, inp.cx) else {
                    out.fill(PU);
                    return;
                };
                for (o, &x) in out.iter_mut().zip(&s[..n]) {
                    *o = PACK.get(x as usize).copied().unwrap_or(PU);
                }
                if let Some((op, lhs, rhs, margin)) = near
                    && s.contains(&F)
                    && let (BV::Num(x, xk), BV::Num(y, yk)) = (veval(lhs, inp.cx), veval(rhs, inp.cx))
                {
                    for i in 0..n {
                        if out[i] == PF && xk[i] != 0 && yk[i] != 0 && near_miss(*op, x[i], y[i], *margin) {
                            out[i] = PNEAR;
                        }
                    }
                }
            }
        }
    }
}

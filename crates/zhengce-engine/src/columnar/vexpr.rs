//! Expressions bound to a table and evaluated a block of rows at a time.
//!
//! [`VExpr`] is a compiled rule expression (`zhengce_rules::compile::CExpr`) whose parameters are
//! already values at `as_of` and whose text literals are ids of the table's interner. [`veval`]
//! mirrors `zhengce_rules::eval::eval` lane by lane (three-valued, unknown never zero or false);
//! the unknown-field sets are not tracked, since statuses do not depend on them.

use zhengce_model::Date;
use zhengce_rules::expr::BinOp;

use super::table::{Column, Kind, NONE_DATE, NONE_TEXT};

/// Three-valued bytes.
pub(crate) const F: u8 = 0;
pub(crate) const U: u8 = 1;
pub(crate) const T: u8 = 2;

/// A block of values of one kind.
#[derive(Clone, Debug)]
pub(crate) enum BV {
    /// Numbers and known flags (0/1).
    Num(Vec<f64>, Vec<u8>),
    /// Three-valued yes/no.
    Bool(Vec<u8>),
    /// Text ids (`NONE_TEXT` unknown).
    Text(Vec<u32>),
    /// Day numbers (`NONE_DATE` unknown).
    Date(Vec<i32>),
}

/// Text tests (`prefix`, `in`, `within`, `== 'x'`) become a per-id lookup table.
#[derive(Clone, Debug)]
pub(crate) enum TextFn {
    Prefix,
    In,
    Within,
}

/// A bound expression.
#[derive(Clone, Debug)]
pub(crate) enum VExpr {
    Num(f64),
    NoneNum,
    Bool(bool),
    Text(u32),
    Date(i32),
    Field(usize, Kind),
    Derived(usize),
    Not(Box<VExpr>),
    Neg(Box<VExpr>),
    Bin(BinOp, Box<VExpr>, Box<VExpr>),
    If(Box<VExpr>, Box<VExpr>, Box<VExpr>),
    Coalesce(Vec<VExpr>),
    Min(Vec<VExpr>),
    Max(Vec<VExpr>),
    Abs(Box<VExpr>),
    Round(Box<VExpr>, Box<VExpr>),
    /// A text test through table number `.1` (tri byte per text id).
    TextTest(Box<VExpr>, usize),
    Years(Box<VExpr>),
    /// `known(x)`: whether `x` is known (never unknown itself).
    Known(Box<VExpr>),
    /// `at(param, date)`: the parameter's value in the period containing the date (day numbers,
    /// inclusive; `None` where it was not published).
    ParamAt(Vec<(i32, i32, Option<f64>)>, Box<VExpr>),
}

/// What a block evaluation reads.
pub(crate) struct Ctx<'b> {
    /// First row and number of rows.
    pub start: usize,
    pub n: usize,
    pub cols: &'b [Column],
    /// Local dictionaries of text columns (by field; `None` when absent).
    pub local: &'b [Option<&'b super::table::LocalCodes>],
    /// Known bytes of numeric fields for this block (empty for others).
    pub known: &'b [Vec<u8>],
    /// Derived values of this block (computed in order).
    pub derived: &'b [Option<BV>],
    /// Text test tables.
    pub tables: &'b [Vec<u8>],
    /// Every string by id (interner then literals), for text ordering.
    pub strings: &'b [String],
    pub as_of: Date,
}

fn bcast<X: Copy>(x: X, n: usize) -> Vec<X> {
    vec![x; n]
}

impl Ctx<'_> {
    fn field(&self, i: usize, kind: Kind) -> BV {
        let r = self.start..self.start + self.n;
        match self.cols.get(i) {
            Some(Column::Num { vals, .. }) => BV::Num(vals[r].to_vec(), self.known[i][..self.n].to_vec()),
            Some(Column::Bool(v)) => BV::Bool(v[r].to_vec()),
            Some(Column::Text(v)) => BV::Text(v[r].to_vec()),
            Some(Column::Date(v)) => BV::Date(v[r].to_vec()),
            _ => unknown(kind, self.n),
        }
    }
}

/// An all-unknown block of a kind.
pub(crate) fn unknown(kind: Kind, n: usize) -> BV {
    match kind {
        Kind::Num => BV::Num(bcast(0.0, n), bcast(0, n)),
        Kind::Bool => BV::Bool(bcast(U, n)),
        Kind::Text => BV::Text(bcast(NONE_TEXT, n)),
        Kind::Date => BV::Date(bcast(NONE_DATE, n)),
    }
}

fn all_unknown_bool(n: usize) -> BV {
    BV::Bool(bcast(U, n))
}

/// Lane `i` of a block as a known/unknown flag.
fn is_known(v: &BV, i: usize) -> bool {
    match v {
        BV::Num(_, k) => k[i] != 0,
        BV::Bool(b) => b[i] != U,
        BV::Text(t) => t[i] != NONE_TEXT,
        BV::Date(d) => d[i] != NONE_DATE,
    }
}

/// Copies lane `i` of `src` into lane `i` of `dst` (same kind), or makes it unknown.
fn set_lane(dst: &mut BV, i: usize, src: Option<&BV>) {
    match (dst, src) {
        (BV::Num(v, k), Some(BV::Num(sv, sk))) => {
            v[i] = sv[i];
            k[i] = sk[i];
        }
        (BV::Bool(b), Some(BV::Bool(s))) => b[i] = s[i],
        (BV::Text(t), Some(BV::Text(s))) => t[i] = s[i],
        (BV::Date(d), Some(BV::Date(s))) => d[i] = s[i],
        (BV::Num(_, k), _) => k[i] = 0,
        (BV::Bool(b), _) => b[i] = U,
        (BV::Text(t), _) => t[i] = NONE_TEXT,
        (BV::Date(d), _) => d[i] = NONE_DATE,
    }
}

/// Whether lane `i` of `a` and `b` hold the same known value (`Val` equality).
fn same_known(a: &BV, b: &BV, i: usize) -> bool {
    match (a, b) {
        (BV::Num(av, ak), BV::Num(bv, bk)) => ak[i] != 0 && bk[i] != 0 && av[i] == bv[i],
        (BV::Bool(x), BV::Bool(y)) => x[i] != U && x[i] == y[i],
        (BV::Text(x), BV::Text(y)) => x[i] != NONE_TEXT && x[i] == y[i],
        (BV::Date(x), BV::Date(y)) => x[i] != NONE_DATE && x[i] == y[i],
        _ => false,
    }
}

fn kind_of(v: &BV) -> Kind {
    match v {
        BV::Num(..) => Kind::Num,
        BV::Bool(_) => Kind::Bool,
        BV::Text(_) => Kind::Text,
        BV::Date(_) => Kind::Date,
    }
}

/// Evaluates `e` over the block.
pub(crate) fn veval(e: &VExpr, cx: &Ctx<'_>) -> BV {
    let n = cx.n;
    match e {
        VExpr::Num(x) => BV::Num(bcast(*x, n), bcast(1, n)),
        VExpr::NoneNum => unknown(Kind::Num, n),
        VExpr::Bool(b) => BV::Bool(bcast(if *b { T } else { F }, n)),
        VExpr::Text(id) => BV::Text(bcast(*id, n)),
        VExpr::Date(d) => BV::Date(bcast(*d, n)),
        VExpr::Field(i, kind) => cx.field(*i, *kind),
        VExpr::Derived(i) => match cx.derived.get(*i) {
            Some(Some(v)) => v.clone(),
            // A derived fact the plan did not compute is never read; unknown keeps it honest.
            _ => unknown(Kind::Num, n),
        },
        VExpr::Not(a) => match veval(a, cx) {
            BV::Bool(mut b) => {
                b.iter_mut().for_each(|x| *x = T - *x);
                BV::Bool(b)
            }
            other => other,
        },
        VExpr::Neg(a) => match veval(a, cx) {
            BV::Num(mut v, k) => {
                v.iter_mut().for_each(|x| *x = -*x);
                BV::Num(v, k)
            }
            other => other,
        },
        VExpr::Bin(op, a, b) => bin(*op, veval(a, cx), veval(b, cx), cx),
        VExpr::If(c, a, b) => {
            let c = match veval(c, cx) {
                BV::Bool(c) => c,
                _ => bcast(U, n),
            };
            let (a, b) = (veval(a, cx), veval(b, cx));
            match (a, b) {
                (BV::Text(mut x), BV::Text(y)) => {
                    for ((o, &y), &c) in x.iter_mut().zip(&y).zip(&c) {
                        let keep = if c == U { *o != NONE_TEXT && *o == y } else { true };
                        let v = if c == F { y } else { *o };
                        *o = if keep { v } else { NONE_TEXT };
                    }
                    BV::Text(x)
                }
                (BV::Bool(mut x), BV::Bool(y)) => {
                    for ((o, &y), &c) in x.iter_mut().zip(&y).zip(&c) {
                        let keep = if c == U { *o != U && *o == y } else { true };
                        let v = if c == F { y } else { *o };
                        *o = if keep { v } else { U };
                    }
                    BV::Bool(x)
                }
                (a, b) => if_lanes(&c, a, b, n),
            }
        }
        VExpr::ParamAt(periods, date) => {
            let d = match veval(date, cx) {
                BV::Date(d) => d,
                _ => bcast(NONE_DATE, n),
            };
            let mut v = bcast(0.0, n);
            let mut k = bcast(0u8, n);
            for i in 0..n {
                if d[i] == NONE_DATE {
                    continue;
                }
                if let Some(x) = periods.iter().find(|(f, t, _)| *f <= d[i] && d[i] <= *t).and_then(|p| p.2) {
                    v[i] = x;
                    k[i] = 1;
                }
            }
            BV::Num(v, k)
        }
        VExpr::Known(a) => {
            let v = veval(a, cx);
            BV::Bool((0..n).map(|i| if is_known(&v, i) { T } else { F }).collect())
        }
        VExpr::Coalesce(args) => {
            let vals: Vec<BV> = args.iter().map(|a| veval(a, cx)).collect();
            let kind = vals.first().map_or(Kind::Num, kind_of);
            let mut out = unknown(kind, n);
            for i in 0..n {
                if let Some(v) = vals.iter().find(|v| is_known(v, i)) {
                    set_lane(&mut out, i, Some(v));
                }
            }
            out
        }
        VExpr::Min(args) | VExpr::Max(args) => {
            let is_max = matches!(e, VExpr::Max(_));
            let vals: Vec<BV> = args.iter().map(|a| veval(a, cx)).collect();
            let mut out_v = bcast(0.0, n);
            let mut out_k = bcast(0u8, n);
            for i in 0..n {
                let mut acc = if is_max { f64::NEG_INFINITY } else { f64::INFINITY };
                let mut ok = true;
                for v in &vals {
                    match v {
                        BV::Num(x, k) if k[i] != 0 => acc = if is_max { acc.max(x[i]) } else { acc.min(x[i]) },
                        _ => ok = false,
                    }
                }
                if ok {
                    out_v[i] = acc;
                    out_k[i] = 1;
                }
            }
            BV::Num(out_v, out_k)
        }
        VExpr::Abs(a) => match veval(a, cx) {
            BV::Num(mut v, k) => {
                v.iter_mut().for_each(|x| *x = x.abs());
                BV::Num(v, k)
            }
            _ => unknown(Kind::Num, n),
        },
        VExpr::Round(a, d) => match (veval(a, cx), veval(d, cx)) {
            (BV::Num(mut v, mut k), BV::Num(dv, dk)) => {
                for i in 0..n {
                    if k[i] != 0 && dk[i] != 0 {
                        let p = 10f64.powi(dv[i] as i32);
                        v[i] = (v[i] * p).round() / p;
                    } else {
                        k[i] = 0;
                    }
                }
                BV::Num(v, k)
            }
            _ => unknown(Kind::Num, n),
        },
        VExpr::TextTest(a, t) => {
            let table = &cx.tables[*t];
            match veval(a, cx) {
                BV::Text(ids) => BV::Bool(ids.iter().map(|&id| if id == NONE_TEXT { U } else { table[id as usize] }).collect()),
                _ => all_unknown_bool(n),
            }
        }
        VExpr::Years(a) => match veval(a, cx) {
            BV::Date(d) => {
                let mut v = bcast(0.0, n);
                let mut k = bcast(0u8, n);
                for i in 0..n {
                    if d[i] != NONE_DATE
                        && let Some(date) = date_of_days(d[i])
                    {
                        v[i] = date.years_until(cx.as_of);
                        k[i] = 1;
                    }
                }
                BV::Num(v, k)
            }
            _ => unknown(Kind::Num, n),
        },
    }
}

/// The date of a day number (the inverse of `days_since_epoch`).
pub(crate) fn date_of_days(z: i32) -> Option<Date> {
    Date::from_days_since_epoch(i64::from(z))
}

fn if_lanes(c: &[u8], a: BV, b: BV, n: usize) -> BV {
    let mut out = a.clone();
    for i in 0..n {
        match c[i] {
            T => {}
            F => set_lane(&mut out, i, Some(&b)),
            _ => {
                if !same_known(&a, &b, i) {
                    set_lane(&mut out, i, None);
                }
            }
        }
    }
    out
}

fn cmp_result(op: BinOp, ord: std::cmp::Ordering) -> u8 {
    if op.holds(ord) { T } else { F }
}

fn bin(op: BinOp, a: BV, b: BV, cx: &Ctx<'_>) -> BV {
    let n = cx.n;
    match op {
        BinOp::And | BinOp::Or => match (a, b) {
            (BV::Bool(mut x), BV::Bool(y)) => {
                for i in 0..n {
                    x[i] = if op == BinOp::And { x[i].min(y[i]) } else { x[i].max(y[i]) };
                }
                BV::Bool(x)
            }
            _ => all_unknown_bool(n),
        },
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => match (a, b) {
            (BV::Num(mut x, mut xk), BV::Num(y, yk)) => {
                for i in 0..n {
                    let k = xk[i] & yk[i];
                    let (p, q) = (x[i], y[i]);
                    x[i] = match op {
                        BinOp::Add => p + q,
                        BinOp::Sub => p - q,
                        BinOp::Mul => p * q,
                        _ => p / q,
                    };
                    xk[i] = if op == BinOp::Div && q == 0.0 { 0 } else { k };
                }
                BV::Num(x, xk)
            }
            _ => unknown(Kind::Num, n),
        },
        _ => {
            let mut out = bcast(U, n);
            match (&a, &b) {
                (BV::Num(x, xk), BV::Num(y, yk)) => {
                    // Branch-free (vectorizes): the comparison chosen once, unknown where a side
                    // is unknown or NaN (no ordering), as `partial_cmp` decides.
                    #[inline(always)]
                    fn lanes(x: &[f64], xk: &[u8], y: &[f64], yk: &[u8], out: &mut [u8], pass: impl Fn(f64, f64) -> bool) {
                        for ((o, (&a, &ak)), (&b, &bk)) in out.iter_mut().zip(x.iter().zip(xk)).zip(y.iter().zip(yk)) {
                            let ordered = !(a.is_nan() | b.is_nan());
                            let r = if pass(a, b) { T } else { F };
                            *o = if (ak != 0) & (bk != 0) & ordered { r } else { U };
                        }
                    }
                    let (x, xk, y, yk, o) = (&x[..n], &xk[..n], &y[..n], &yk[..n], &mut out[..n]);
                    match op {
                        BinOp::Eq => lanes(x, xk, y, yk, o, |a, b| a == b),
                        BinOp::Ne => lanes(x, xk, y, yk, o, |a, b| a != b),
                        BinOp::Lt => lanes(x, xk, y, yk, o, |a, b| a < b),
                        BinOp::Le => lanes(x, xk, y, yk, o, |a, b| a <= b),
                        BinOp::Gt => lanes(x, xk, y, yk, o, |a, b| a > b),
                        BinOp::Ge => lanes(x, xk, y, yk, o, |a, b| a >= b),
                        _ => {
                            for i in 0..n {
                                if xk[i] != 0
                                    && yk[i] != 0
                                    && let Some(ord) = x[i].partial_cmp(&y[i])
                                {
                                    o[i] = cmp_result(op, ord);
                                }
                            }
                        }
                    }
                }
                (BV::Date(x), BV::Date(y)) => {
                    for i in 0..n {
                        if x[i] != NONE_DATE && y[i] != NONE_DATE {
                            out[i] = cmp_result(op, x[i].cmp(&y[i]));
                        }
                    }
                }
                // Ids are unique per string: equality needs no string comparison.
                (BV::Text(x), BV::Text(y)) if matches!(op, BinOp::Eq | BinOp::Ne) => {
                    let (hit, miss) = if op == BinOp::Eq { (T, F) } else { (F, T) };
                    for ((o, &a), &b) in out.iter_mut().zip(x).zip(y) {
                        let r = if a == b { hit } else { miss };
                        *o = if a == NONE_TEXT || b == NONE_TEXT { U } else { r };
                    }
                }
                (BV::Text(x), BV::Text(y)) => {
                    for i in 0..n {
                        if x[i] != NONE_TEXT && y[i] != NONE_TEXT {
                            let o = if x[i] == y[i] {
                                std::cmp::Ordering::Equal
                            } else {
                                let s = |id: u32| cx.strings.get(id as usize).map_or("", String::as_str);
                                s(x[i]).cmp(s(y[i]))
                            };
                            out[i] = cmp_result(op, o);
                        }
                    }
                }
                (BV::Bool(x), BV::Bool(y)) => {
                    for i in 0..n {
                        if x[i] != U && y[i] != U {
                            out[i] = cmp_result(op, x[i].cmp(&y[i]));
                        }
                    }
                }
                _ => {}
            }
            BV::Bool(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip() {
        for s in ["1970-01-01", "2000-02-29", "2024-12-31", "1899-03-01", "2025-06-01", "0001-01-01"] {
            let d: Date = s.parse().expect("date");
            assert_eq!(date_of_days(d.days_since_epoch() as i32), Some(d), "{s}");
        }
    }
}

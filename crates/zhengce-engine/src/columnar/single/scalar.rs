//! The single path's scalar interpreter: the rule interpreter's values without the sets of
//! missing fields a status never reads (derived facts and leaves of no fused shape).

use super::*;

/// `x.starts_with(p)` without a library call (the literals are a few bytes long).
#[inline(always)]
pub(super) fn starts_with(x: &str, p: &str) -> bool {
    x.len() >= p.len() && x.bytes().zip(p.bytes()).all(|(a, b)| a == b)
}

pub(super) fn field_val(v: &FactValue) -> Val<'_> {
    match v {
        FactValue::Num(n) => Val::Num(*n),
        FactValue::Bool(b) => Val::Bool(*b),
        FactValue::Text(t) => Val::Text(t),
        FactValue::Date(d) => Val::Date(*d),
    }
}

/// The rule interpreter's value of `e` (`zhengce_rules::eval::eval`'s `val`), without the sets of
/// missing fields a status never reads. `vals` holds the fields (the first `nf`), then the
/// derived facts computed so far.
#[inline(never)]
pub(super) fn sval<'a>(e: &'a CExpr, vals: &[Val<'a>], nf: usize, as_of: Date) -> Val<'a> {
    let ev = |x: &'a CExpr| sval(x, vals, nf, as_of);
    match e {
        CExpr::Num(n) => Val::Num(*n),
        CExpr::Text(t) => Val::Text(t),
        CExpr::Bool(b) => Val::Bool(*b),
        CExpr::None | CExpr::Param(_) => Val::Unknown,
        CExpr::Field(i) if *i < nf => vals.get(*i).copied().unwrap_or(Val::Unknown),
        CExpr::Field(_) => Val::Unknown,
        CExpr::Derived(i) => vals.get(nf + *i).copied().unwrap_or(Val::Unknown),
        CExpr::AsOf => Val::Date(as_of),
        CExpr::ParamAt(_, values, at) => match ev(at) {
            Val::Date(day) => values
                .iter()
                .find(|v| v.from <= day && v.to.is_none_or(|t| day <= t))
                .and_then(|v| v.value)
                .map_or(Val::Unknown, Val::Num),
            _ => Val::Unknown,
        },
        CExpr::Not(a) => match ev(a) {
            Val::Bool(b) => Val::Bool(!b),
            v => v,
        },
        CExpr::Neg(a) => match ev(a) {
            Val::Num(n) => Val::Num(-n),
            v => v,
        },
        CExpr::Bin(op, a, b) => sbin(*op, ev(a), ev(b)),
        CExpr::If(c, a, b) => match ev(c) {
            Val::Bool(true) => ev(a),
            Val::Bool(false) => ev(b),
            _ => {
                let (a, b) = (ev(a), ev(b));
                if a != Val::Unknown && a == b { a } else { Val::Unknown }
            }
        },
        CExpr::Call(f, args) => scall(*f, args, &ev, as_of),
    }
}

pub(super) fn sbin<'a>(op: BinOp, a: Val<'a>, b: Val<'a>) -> Val<'a> {
    match op {
        BinOp::And => match (a, b) {
            (Val::Bool(false), _) | (Val::Bool(true), Val::Bool(true)) => a,
            (_, Val::Bool(false)) => b,
            _ => Val::Unknown,
        },
        BinOp::Or => match (a, b) {
            (Val::Bool(true), _) | (Val::Bool(false), Val::Bool(false)) => a,
            (_, Val::Bool(true)) => b,
            _ => Val::Unknown,
        },
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => match (a, b) {
            (Val::Num(x), Val::Num(y)) => match op {
                BinOp::Add => Val::Num(x + y),
                BinOp::Sub => Val::Num(x - y),
                BinOp::Mul => Val::Num(x * y),
                _ if y == 0.0 => Val::Unknown,
                _ => Val::Num(x / y),
            },
            _ => Val::Unknown,
        },
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = match (a, b) {
                (Val::Num(x), Val::Num(y)) => x.partial_cmp(&y),
                (Val::Date(x), Val::Date(y)) => Some(x.cmp(&y)),
                // Equality first: most text tests are `==`/`!=` between different lengths.
                (Val::Text(x), Val::Text(y)) if matches!(op, BinOp::Eq | BinOp::Ne) => {
                    Some(if x == y { std::cmp::Ordering::Equal } else { std::cmp::Ordering::Less })
                }
                (Val::Text(x), Val::Text(y)) => Some(x.cmp(y)),
                (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(&y)),
                _ => None,
            };
            ord.map_or(Val::Unknown, |o| Val::Bool(op.holds(o)))
        }
    }
}

pub(super) fn scall<'a>(f: Func, args: &'a [CExpr], ev: &dyn Fn(&'a CExpr) -> Val<'a>, as_of: Date) -> Val<'a> {
    let first = || args.first().map_or(Val::Unknown, ev);
    match f {
        Func::Known => Val::Bool(first() != Val::Unknown),
        // `at` compiles to `CExpr::ParamAt`; a call never reaches here.
        Func::At => Val::Unknown,
        Func::Coalesce => args.iter().map(ev).find(|v| *v != Val::Unknown).unwrap_or(Val::Unknown),
        Func::Min | Func::Max | Func::Abs => {
            let (mut min, mut max, mut abs) = (f64::INFINITY, f64::NEG_INFINITY, None);
            for a in args {
                let Val::Num(n) = ev(a) else { return Val::Unknown };
                (min, max) = (min.min(n), max.max(n));
                abs = abs.or(Some(n.abs()));
            }
            match f {
                Func::Min => Val::Num(min),
                Func::Max => Val::Num(max),
                _ => abs.map_or(Val::Unknown, Val::Num),
            }
        }
        Func::Round => match (first(), args.get(1).map(ev)) {
            (Val::Num(x), Some(Val::Num(d))) => {
                let p = 10f64.powi(d as i32);
                Val::Num((x * p).round() / p)
            }
            _ => Val::Unknown,
        },
        Func::Prefix | Func::In | Func::Within => {
            let Val::Text(x) = first() else { return Val::Unknown };
            // Literals (the usual case) without a call through `ev`.
            let hit = args.iter().skip(1).any(|a| match if let CExpr::Text(p) = a { Val::Text(p) } else { ev(a) } {
                Val::Text(p) => match f {
                    Func::Prefix => starts_with(x, p),
                    Func::In => x == p,
                    _ => region_contains(p, x),
                },
                _ => false,
            });
            Val::Bool(hit)
        }
        Func::Years => match first() {
            Val::Date(d) => Val::Num(d.years_until(as_of)),
            _ => Val::Unknown,
        },
    }
}

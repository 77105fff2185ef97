//! Three-valued evaluation of compiled expressions.
//!
//! Unknown facts are never read as zero or false. Every value carries the set of input fields whose
//! absence made it unknown, so a `possible` verdict can ask exactly the questions that matter.

use zhengce_model::Date;
use zhengce_model::fact::FactValue;

use crate::compile::{CExpr, Func};
use crate::expr::BinOp;

/// A set of input-field indices, of any size: the first 256 fields inline (no allocation for
/// today's schema), any beyond that in a spilled tail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mask {
    inline: [u64; 4],
    /// Words for fields 256 and up; `None` when empty, otherwise as long as its highest set word
    /// (so equal sets are equal values).
    spill: Option<Box<[u64]>>,
}

impl Mask {
    const INLINE_BITS: usize = 256;

    /// The set holding one field.
    pub fn one(i: usize) -> Mask {
        let mut m = Mask::default();
        if i < Self::INLINE_BITS {
            m.inline[i / 64] |= 1 << (i % 64);
        } else {
            let w = (i - Self::INLINE_BITS) / 64;
            let mut spill = vec![0u64; w + 1];
            spill[w] |= 1 << (i % 64);
            m.spill = Some(spill.into_boxed_slice());
        }
        m
    }

    /// Union.
    pub fn or(mut self, other: &Mask) -> Mask {
        for (a, b) in self.inline.iter_mut().zip(other.inline) {
            *a |= b;
        }
        if let Some(theirs) = &other.spill {
            let mine = self.spill.take().map(Vec::from).unwrap_or_default();
            let mut merged = vec![0u64; mine.len().max(theirs.len())];
            for (k, w) in merged.iter_mut().enumerate() {
                *w = mine.get(k).copied().unwrap_or(0) | theirs.get(k).copied().unwrap_or(0);
            }
            self.spill = Some(merged.into_boxed_slice());
        }
        self
    }

    /// Whether field `i` is in the set.
    pub fn contains(&self, i: usize) -> bool {
        let w = i / 64;
        let word = match self.inline.get(w) {
            Some(&x) => x,
            None => self.spill.as_ref().and_then(|s| s.get(w - self.inline.len()).copied()).unwrap_or(0),
        };
        word & (1 << (i % 64)) != 0
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.inline == [0; 4] && self.spill.is_none()
    }

    /// The field indices, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let words = self.inline.iter().chain(self.spill.iter().flat_map(|s| s.iter()));
        // Set bits only, lowest first (no scan of the 64 positions of every word).
        words.enumerate().flat_map(|(w, &bits)| {
            let mut rest = bits;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let b = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(w * 64 + b)
            })
        })
    }
}

/// A value, possibly unknown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val<'a> {
    /// Not known.
    Unknown,
    /// Number.
    Num(f64),
    /// Boolean.
    Bool(bool),
    /// Text.
    Text(&'a str),
    /// Date.
    Date(Date),
}

/// A value with the fields whose absence made it unknown (empty when known).
#[derive(Clone, Debug, PartialEq)]
pub struct V<'a> {
    /// The value.
    pub val: Val<'a>,
    /// Missing input fields that matter.
    pub missing: Mask,
}

impl<'a> V<'a> {
    fn known(val: Val<'a>) -> V<'a> {
        V { val, missing: Mask::default() }
    }

    fn unknown(missing: Mask) -> V<'a> {
        V { val: Val::Unknown, missing }
    }

    /// The boolean value, if known.
    pub fn as_bool(&self) -> Option<bool> {
        match self.val {
            Val::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The number, if known.
    pub fn as_num(&self) -> Option<f64> {
        match self.val {
            Val::Num(n) => Some(n),
            _ => None,
        }
    }
}

/// Everything an evaluation reads: the profile by field index, derived values, parameters, the date.
pub struct Env<'a, 'p> {
    /// Field values by schema index.
    pub fields: &'p [Option<&'a FactValue>],
    /// Derived values by index (computed in order, so earlier ones are ready).
    pub derived: &'p [V<'a>],
    /// Parameter values at `as_of` (`None` when no value covers the date).
    pub params: &'p [Option<f64>],
    /// The matching date.
    pub as_of: Date,
}

fn field_val(v: &FactValue) -> Val<'_> {
    match v {
        FactValue::Num(n) => Val::Num(*n),
        FactValue::Bool(b) => Val::Bool(*b),
        FactValue::Text(s) => Val::Text(s),
        FactValue::Date(d) => Val::Date(*d),
    }
}

/// Evaluates `e` in `env`.
pub fn eval<'a>(e: &'a CExpr, env: &Env<'a, '_>) -> V<'a> {
    match e {
        CExpr::Num(n) => V::known(Val::Num(*n)),
        CExpr::Text(t) => V::known(Val::Text(t)),
        CExpr::Bool(b) => V::known(Val::Bool(*b)),
        CExpr::None => V::unknown(Mask::default()),
        CExpr::Field(i) => match env.fields.get(*i).copied().flatten() {
            Some(v) => V::known(field_val(v)),
            None => V::unknown(Mask::one(*i)),
        },
        CExpr::Derived(i) => env.derived.get(*i).cloned().unwrap_or(V::unknown(Mask::default())),
        CExpr::Param(i) => match env.params.get(*i).copied().flatten() {
            Some(n) => V::known(Val::Num(n)),
            None => V::unknown(Mask::default()),
        },
        CExpr::AsOf => V::known(Val::Date(env.as_of)),
        CExpr::ParamAt(_, values, at) => {
            let d = eval(at, env);
            match d.val {
                Val::Date(day) => {
                    match values.iter().find(|v| v.from <= day && v.to.is_none_or(|t| day <= t)).and_then(|v| v.value) {
                        Some(n) => V::known(Val::Num(n)),
                        None => V::unknown(Mask::default()),
                    }
                }
                _ => V::unknown(d.missing),
            }
        }
        CExpr::Not(a) => {
            let v = eval(a, env);
            match v.val {
                Val::Bool(b) => V::known(Val::Bool(!b)),
                _ => v,
            }
        }
        CExpr::Neg(a) => {
            let v = eval(a, env);
            match v.val {
                Val::Num(n) => V::known(Val::Num(-n)),
                _ => v,
            }
        }
        CExpr::Bin(op, a, b) => bin(*op, eval(a, env), eval(b, env)),
        CExpr::If(c, a, b) => {
            let c = eval(c, env);
            match c.val {
                Val::Bool(true) => eval(a, env),
                Val::Bool(false) => eval(b, env),
                _ => {
                    let (a, b) = (eval(a, env), eval(b, env));
                    if a.val != Val::Unknown && a.val == b.val { a } else { V::unknown(c.missing.or(&a.missing).or(&b.missing)) }
                }
            }
        }
        CExpr::Call(f, args) => call(*f, args, env),
    }
}

fn num2(a: &V<'_>, b: &V<'_>) -> Result<(f64, f64), Mask> {
    match (a.val, b.val) {
        (Val::Num(x), Val::Num(y)) => Ok((x, y)),
        _ => Err(a.missing.clone().or(&b.missing)),
    }
}

/// A binary operation on two evaluated operands (as `eval` of [`CExpr::Bin`]).
pub(crate) fn bin<'a>(op: BinOp, a: V<'a>, b: V<'a>) -> V<'a> {
    match op {
        BinOp::And => match (a.as_bool(), b.as_bool()) {
            (Some(false), _) => a,
            (_, Some(false)) => b,
            (Some(true), Some(true)) => a,
            _ => V::unknown(a.missing.or(&b.missing)),
        },
        BinOp::Or => match (a.as_bool(), b.as_bool()) {
            (Some(true), _) => a,
            (_, Some(true)) => b,
            (Some(false), Some(false)) => a,
            _ => V::unknown(a.missing.or(&b.missing)),
        },
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => match num2(&a, &b) {
            Ok((x, y)) => {
                let r = match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    _ if y == 0.0 => return V::unknown(a.missing.or(&b.missing)),
                    _ => x / y,
                };
                V::known(Val::Num(r))
            }
            Err(m) => V::unknown(m),
        },
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let ord = match (a.val, b.val) {
                (Val::Num(x), Val::Num(y)) => x.partial_cmp(&y),
                (Val::Date(x), Val::Date(y)) => Some(x.cmp(&y)),
                (Val::Text(x), Val::Text(y)) => Some(x.cmp(y)),
                (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(&y)),
                _ => None,
            };
            let Some(ord) = ord else {
                return V::unknown(a.missing.or(&b.missing));
            };
            V::known(Val::Bool(op.holds(ord)))
        }
    }
}

fn call<'a>(f: Func, args: &'a [CExpr], env: &Env<'a, '_>) -> V<'a> {
    let vals: Vec<V<'a>> = args.iter().map(|a| eval(a, env)).collect();
    let all_missing = vals.iter().fold(Mask::default(), |m, v| m.or(&v.missing));
    match f {
        Func::Known => V::known(Val::Bool(vals[0].val != Val::Unknown)),
        // `at` compiles to `CExpr::ParamAt`; a call never reaches here.
        Func::At => V::unknown(all_missing),
        Func::Coalesce => vals.iter().find(|v| v.val != Val::Unknown).cloned().unwrap_or(V::unknown(all_missing)),
        Func::Min | Func::Max | Func::Abs => {
            let mut nums = Vec::with_capacity(vals.len());
            for v in &vals {
                match v.val {
                    Val::Num(n) => nums.push(n),
                    _ => return V::unknown(all_missing),
                }
            }
            let r = match f {
                Func::Min => nums.iter().copied().fold(f64::INFINITY, f64::min),
                Func::Max => nums.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                _ => nums[0].abs(),
            };
            V::known(Val::Num(r))
        }
        Func::Round => match (vals[0].val, vals.get(1).map(|v| v.val)) {
            (Val::Num(x), Some(Val::Num(d))) => {
                let p = 10f64.powi(d as i32);
                V::known(Val::Num((x * p).round() / p))
            }
            _ => V::unknown(all_missing),
        },
        Func::Prefix | Func::In | Func::Within => {
            let Val::Text(x) = vals[0].val else {
                return V::unknown(vals[0].missing.clone());
            };
            let hit = vals[1..].iter().any(|v| match v.val {
                Val::Text(p) => match f {
                    Func::Prefix => x.starts_with(p),
                    Func::In => x == p,
                    _ => zhengce_model::policy::region_contains(p, x),
                },
                _ => false,
            });
            V::known(Val::Bool(hit))
        }
        Func::Years => match vals[0].val {
            Val::Date(d) => V::known(Val::Num(d.years_until(env.as_of))),
            _ => V::unknown(all_missing),
        },
    }
}

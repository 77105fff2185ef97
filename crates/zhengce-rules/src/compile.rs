//! Name resolution and type checking: turns parsed expressions into [`CExpr`] with diagnostics.

use zhengce_model::diagnostic::{Code, suggest};
use zhengce_model::rule::ParamValue;
use zhengce_model::schema::{DerivedDef, FieldType};

use crate::expr::{BinOp, Expr};

/// Built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// `min(a, b, …)`.
    Min,
    /// `max(a, b, …)`.
    Max,
    /// `abs(x)`.
    Abs,
    /// `round(x, digits)`.
    Round,
    /// `coalesce(a, b, …)`: the first known value. Not monotone: a later-known earlier argument changes it.
    Coalesce,
    /// `prefix(code, 'p1', 'p2', …)`: the text starts with one of the prefixes.
    Prefix,
    /// `in(x, 'a', 'b', …)`: the text is one of the values.
    In,
    /// `within(region, '370000')`: the division lies inside the given one.
    Within,
    /// `years(date)`: years from the date to `as_of`.
    Years,
    /// `known(x)`: whether `x` is known (never unknown itself).
    Known,
    /// `at(param, date)`: a parameter's value on another date than `as_of` (a loan's rate by its
    /// contract date). Compiled to [`CExpr::ParamAt`]; never left as a call.
    At,
}

const FUNCS: [(&str, Func); 11] = [
    ("at", Func::At),
    ("known", Func::Known),
    ("min", Func::Min),
    ("max", Func::Max),
    ("abs", Func::Abs),
    ("round", Func::Round),
    ("coalesce", Func::Coalesce),
    ("prefix", Func::Prefix),
    ("in", Func::In),
    ("within", Func::Within),
    ("years", Func::Years),
];

/// A resolved, type-checked expression.
#[derive(Clone, Debug, PartialEq)]
pub enum CExpr {
    /// Number literal.
    Num(f64),
    /// Text literal.
    Text(String),
    /// Boolean literal.
    Bool(bool),
    /// An unknown number.
    None,
    /// Input field by index.
    Field(usize),
    /// Derived fact by index.
    Derived(usize),
    /// Rule parameter by index.
    Param(usize),
    /// `at(param, date)`: parameter `.0` (whose dated values are `.1`) on the date `.2` evaluates
    /// to; unknown when the date is unknown or no value covers it.
    ParamAt(usize, Vec<ParamValue>, Box<CExpr>),
    /// The matching date.
    AsOf,
    /// Negation.
    Not(Box<CExpr>),
    /// Arithmetic negation.
    Neg(Box<CExpr>),
    /// Binary operation.
    Bin(BinOp, Box<CExpr>, Box<CExpr>),
    /// Conditional.
    If(Box<CExpr>, Box<CExpr>, Box<CExpr>),
    /// Function call.
    Call(Func, Vec<CExpr>),
}

/// Static types.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// Number.
    Num,
    /// Boolean.
    Bool,
    /// Text, with the allowed values when it is an enum.
    Text(Option<Vec<String>>),
    /// Date.
    Date,
}

impl Ty {
    fn name(&self) -> &'static str {
        match self {
            Ty::Num => "number",
            Ty::Bool => "boolean",
            Ty::Text(_) => "text",
            Ty::Date => "date",
        }
    }

    fn same_kind(&self, other: &Ty) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// The static type of values of a field type.
pub fn ty_of(ft: &FieldType) -> Ty {
    match ft {
        FieldType::Text | FieldType::CreditCode | FieldType::Region | FieldType::IndustryCode => Ty::Text(None),
        FieldType::Date => Ty::Date,
        FieldType::Bool => Ty::Bool,
        FieldType::Enum(vs) => Ty::Text(Some(vs.iter().map(|(v, _)| v.clone()).collect())),
        _ => Ty::Num,
    }
}

/// A derived fact with its compiled expression.
#[derive(Debug, Clone)]
pub struct CompiledDerived {
    /// The definition.
    pub def: DerivedDef,
    /// The compiled expression.
    pub expr: CExpr,
}

/// A compile error at a byte offset inside the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// Stable code.
    pub code: Code,
    /// Byte offset inside the expression.
    pub offset: usize,
    /// Message.
    pub message: String,
}

/// What names mean while compiling one expression.
pub struct Scope<'a> {
    /// Input fields (always).
    pub fields: &'a [zhengce_model::schema::FieldDef],
    /// Derived facts by name with their declared types (always).
    pub derived: &'a [(String, Ty)],
    /// The rule's parameter names (empty for derived facts).
    pub params: &'a [String],
    /// Their dated values, in the same order (for `at(param, date)`).
    pub dated: &'a [Vec<ParamValue>],
}

impl Scope<'_> {
    fn resolve(&self, name: &str, at: usize) -> Result<(CExpr, Ty), CompileError> {
        if let Some(i) = self.params.iter().position(|p| p == name) {
            return Ok((CExpr::Param(i), Ty::Num));
        }
        if name == "as_of" {
            return Ok((CExpr::AsOf, Ty::Date));
        }
        if let Some(i) = self.derived.iter().position(|(n, _)| n == name) {
            return Ok((CExpr::Derived(i), self.derived[i].1.clone()));
        }
        if let Some(i) = self.fields.iter().position(|f| f.name == name) {
            return Ok((CExpr::Field(i), ty_of(&self.fields[i].ty)));
        }
        let candidates = self
            .params
            .iter()
            .map(String::as_str)
            .chain(self.derived.iter().map(|(n, _)| n.as_str()))
            .chain(self.fields.iter().map(|f| f.name.as_str()));
        let hint = suggest(name, candidates).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
        Err(CompileError {
            code: Code::UnknownName,
            offset: at,
            message: format!("unknown name `{name}`: not a profile field, derived fact or parameter{hint}"),
        })
    }
}

/// Compiles an expression and checks that it has type `want` (when given).
pub fn compile(e: &Expr, scope: &Scope<'_>, want: Option<&Ty>) -> Result<CExpr, CompileError> {
    let (c, ty) = go(e, scope, 1)?;
    if let Some(w) = want
        && !w.same_kind(&ty)
    {
        return Err(mismatch(0, format!("expected a {} expression, found a {}", w.name(), ty.name())));
    }
    Ok(c)
}

fn mismatch(offset: usize, message: String) -> CompileError {
    CompileError { code: Code::TypeMismatch, offset, message }
}

fn first_offset(e: &Expr) -> usize {
    match e {
        Expr::Name(_, at) | Expr::Call(_, _, at) | Expr::Text(_, at) => *at,
        Expr::Bin(_, a, _) => first_offset(a),
        Expr::Not(a) | Expr::Neg(a) => first_offset(a),
        Expr::If(c, _, _) => first_offset(c),
        _ => 0,
    }
}

fn check_text_literal(ty: &Ty, lit: &Expr) -> Result<(), CompileError> {
    if let (Ty::Text(Some(values)), Expr::Text(t, _)) = (ty, lit)
        && !values.contains(t)
    {
        let hint = suggest(t, values.iter().map(String::as_str)).map(|s| format!("; did you mean '{s}'?")).unwrap_or_default();
        return Err(mismatch(first_offset(lit), format!("'{t}' is not one of {}{hint}", values.join(", "))));
    }
    Ok(())
}

/// Compiles `e` at nesting `depth`. Parsed trees are never deeper than [`crate::MAX_DEPTH`]; the
/// check here keeps an expression built in code to the same bound, so evaluating a compiled
/// expression (which recurses over the same tree) is bounded too.
fn go(e: &Expr, scope: &Scope<'_>, depth: usize) -> Result<(CExpr, Ty), CompileError> {
    if depth > crate::MAX_DEPTH {
        return Err(CompileError {
            code: Code::TooDeep,
            offset: 0,
            message: format!("expression nested too deeply (limit {} levels)", crate::MAX_DEPTH),
        });
    }
    Ok(match e {
        Expr::Num(n) => (CExpr::Num(*n), Ty::Num),
        Expr::Text(t, _) => (CExpr::Text(t.clone()), Ty::Text(None)),
        Expr::Bool(b) => (CExpr::Bool(*b), Ty::Bool),
        Expr::None => (CExpr::None, Ty::Num),
        Expr::Name(n, at) => scope.resolve(n, *at)?,
        Expr::Not(a) => {
            let (c, t) = go(a, scope, depth + 1)?;
            if t != Ty::Bool {
                return Err(mismatch(first_offset(a), format!("`not` needs a boolean, found a {}", t.name())));
            }
            (CExpr::Not(Box::new(c)), Ty::Bool)
        }
        Expr::Neg(a) => {
            let (c, t) = go(a, scope, depth + 1)?;
            if t != Ty::Num {
                return Err(mismatch(first_offset(a), format!("`-` needs a number, found a {}", t.name())));
            }
            (CExpr::Neg(Box::new(c)), Ty::Num)
        }
        Expr::Bin(op, a, b) => {
            let (ca, ta) = go(a, scope, depth + 1)?;
            let (cb, tb) = go(b, scope, depth + 1)?;
            let at = first_offset(a);
            let ty = match op {
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                    if ta != Ty::Num || tb != Ty::Num {
                        return Err(mismatch(at, format!("arithmetic needs numbers, found {} and {}", ta.name(), tb.name())));
                    }
                    Ty::Num
                }
                BinOp::And | BinOp::Or => {
                    if ta != Ty::Bool || tb != Ty::Bool {
                        return Err(mismatch(at, format!("`and`/`or` need booleans, found {} and {}", ta.name(), tb.name())));
                    }
                    Ty::Bool
                }
                BinOp::Eq | BinOp::Ne => {
                    if !ta.same_kind(&tb) {
                        return Err(mismatch(at, format!("cannot compare a {} with a {}", ta.name(), tb.name())));
                    }
                    check_text_literal(&ta, b)?;
                    check_text_literal(&tb, a)?;
                    Ty::Bool
                }
                BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                    if !ta.same_kind(&tb) || !matches!(ta, Ty::Num | Ty::Date) {
                        return Err(mismatch(at, format!("cannot order a {} against a {}", ta.name(), tb.name())));
                    }
                    Ty::Bool
                }
            };
            (CExpr::Bin(*op, Box::new(ca), Box::new(cb)), ty)
        }
        Expr::If(c, a, b) => {
            let (cc, tc) = go(c, scope, depth + 1)?;
            if tc != Ty::Bool {
                return Err(mismatch(first_offset(c), format!("`if` needs a boolean condition, found a {}", tc.name())));
            }
            let (ca, ta) = go(a, scope, depth + 1)?;
            let (cb, tb) = go(b, scope, depth + 1)?;
            if !ta.same_kind(&tb) {
                return Err(mismatch(first_offset(b), format!("`if` branches differ: {} and {}", ta.name(), tb.name())));
            }
            let ty = match (&ta, &tb) {
                (Ty::Text(_), Ty::Text(_)) => Ty::Text(None),
                _ => ta,
            };
            (CExpr::If(Box::new(cc), Box::new(ca), Box::new(cb)), ty)
        }
        Expr::Call(name, args, at) => {
            let Some(&(_, f)) = FUNCS.iter().find(|(n, _)| n == name) else {
                return Err(unknown_function(name, *at));
            };
            if f == Func::At {
                let param = match args.first() {
                    Some(Expr::Name(n, _)) => scope.params.iter().position(|p| p == n),
                    _ => None,
                };
                let (Some(i), 2) = (param, args.len()) else {
                    return Err(mismatch(*at, "`at` takes a parameter name and a date: `at(rate, contract_date)`".into()));
                };
                let (date, ty) = go(&args[1], scope, depth + 1)?;
                if ty != Ty::Date {
                    return Err(mismatch(
                        first_offset(&args[1]),
                        format!("argument 2 of `at` must be a date, found a {}", ty.name()),
                    ));
                }
                let values = scope.dated.get(i).cloned().unwrap_or_default();
                return Ok((CExpr::ParamAt(i, values, Box::new(date)), Ty::Num));
            }
            let mut cargs = Vec::new();
            let mut tys = Vec::new();
            for a in args {
                let (c, t) = go(a, scope, depth + 1)?;
                cargs.push(c);
                tys.push(t);
            }
            let arity = |ok: bool, what: &str| {
                if ok { Ok(()) } else { Err(mismatch(*at, format!("`{name}` takes {what}"))) }
            };
            let all = |want: Ty, from: usize| {
                for (i, t) in tys.iter().enumerate().skip(from) {
                    if !t.same_kind(&want) {
                        return Err(mismatch(
                            first_offset(&args[i]),
                            format!("argument {} of `{name}` must be a {}, found a {}", i + 1, want.name(), t.name()),
                        ));
                    }
                }
                Ok(())
            };
            let ty = match f {
                Func::Min | Func::Max => {
                    arity(!tys.is_empty(), "one or more numbers")?;
                    all(Ty::Num, 0)?;
                    Ty::Num
                }
                Func::Abs => {
                    arity(tys.len() == 1, "one number")?;
                    all(Ty::Num, 0)?;
                    Ty::Num
                }
                Func::Round => {
                    arity(tys.len() == 2 && matches!(cargs[1], CExpr::Num(_)), "a number and a literal digit count")?;
                    all(Ty::Num, 0)?;
                    Ty::Num
                }
                Func::Coalesce => {
                    arity(tys.len() >= 2, "two or more values of one type")?;
                    all(tys[0].clone(), 1)?;
                    tys[0].clone()
                }
                Func::Prefix | Func::In | Func::Within => {
                    arity(
                        tys.len() >= 2 && cargs[1..].iter().all(|a| matches!(a, CExpr::Text(_))),
                        "a text value and one or more text literals",
                    )?;
                    all(Ty::Text(None), 0)?;
                    if f == Func::In {
                        for a in &args[1..] {
                            check_text_literal(&tys[0], a)?;
                        }
                    }
                    Ty::Bool
                }
                Func::Known => {
                    arity(tys.len() == 1, "one value")?;
                    Ty::Bool
                }
                Func::Years => {
                    arity(tys.len() == 1, "one date")?;
                    all(Ty::Date, 0)?;
                    Ty::Num
                }
                Func::At => return Err(mismatch(*at, "`at` is compiled above".into())),
            };
            (CExpr::Call(f, cargs), ty)
        }
    })
}

fn unknown_function(name: &str, at: usize) -> CompileError {
    let hint = suggest(name, FUNCS.iter().map(|(n, _)| *n)).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
    CompileError { code: Code::UnknownName, offset: at, message: format!("unknown function `{name}`{hint}") }
}

/// Names an expression refers to (for dependency analysis).
pub fn names(e: &Expr, out: &mut Vec<(String, usize)>) {
    match e {
        Expr::Name(n, at) => out.push((n.clone(), *at)),
        Expr::Not(a) | Expr::Neg(a) => names(a, out),
        Expr::Bin(_, a, b) => {
            names(a, out);
            names(b, out);
        }
        Expr::If(c, a, b) => {
            names(c, out);
            names(a, out);
            names(b, out);
        }
        Expr::Call(_, args, _) => args.iter().for_each(|a| names(a, out)),
        Expr::Num(_) | Expr::Text(..) | Expr::Bool(_) | Expr::None => {}
    }
}

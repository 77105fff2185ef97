//! The expression language used in conditions, derived facts, tiers and benefit formulas.
//!
//! ```text
//! expr    := 'if' expr 'then' expr 'else' expr | or
//! or      := and (('or' | '||') and)*
//! and     := not (('and' | '&&') not)*
//! not     := ('not' | '!') not | cmp
//! cmp     := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)?
//! sum     := product (('+' | '-') product)*
//! product := unary (('*' | '/') unary)*
//! unary   := '-' unary | atom
//! atom    := number ['%'] | 'text' | true | false | none | name | name '(' args ')' | '(' expr ')'
//! ```
//!
//! Numbers may end in `%` (`5.5%` is 0.055). Text uses single quotes so it fits inside a RON string.
//! `none` is a number that is not known (a formula branch with no amount).
//! Names are schema fields, derived facts, the rule's parameters or `as_of`.
//!
//! Nesting is bounded by [`crate::MAX_DEPTH`] on every path: the parser's recursion (`(`, `not`,
//! unary `-`, `if`, function arguments) and the height of the tree it builds (a long `a + b + …`
//! chain is a deep tree too), so compiling and evaluating, which recurse over the tree, are bounded
//! as well. Deeper input is an [`Code::TooDeep`] error, never a stack overflow.

use std::fmt;

use zhengce_model::diagnostic::Code;

use crate::MAX_DEPTH;

/// A parse error with its byte offset inside the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// [`Code::ExprSyntax`], or [`Code::TooDeep`] when the nesting limit was hit.
    pub code: Code,
    /// Byte offset in the expression.
    pub offset: usize,
    /// What went wrong.
    pub message: String,
}

impl ParseError {
    fn syntax(offset: usize, message: String) -> ParseError {
        ParseError { code: Code::ExprSyntax, offset, message }
    }
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `and`
    And,
    /// `or`
    Or,
}

/// The one table of binary operators: the operator, its spelling in rule files, its symbol in
/// Chinese reasons.
const BINOPS: [(BinOp, &str, &str); 12] = [
    (BinOp::Add, "+", "+"),
    (BinOp::Sub, "-", "−"),
    (BinOp::Mul, "*", "×"),
    (BinOp::Div, "/", "÷"),
    (BinOp::Eq, "==", "="),
    (BinOp::Ne, "!=", "≠"),
    (BinOp::Lt, "<", "<"),
    (BinOp::Le, "<=", "≤"),
    (BinOp::Gt, ">", ">"),
    (BinOp::Ge, ">=", "≥"),
    (BinOp::And, "and", "且"),
    (BinOp::Or, "or", "或"),
];

impl BinOp {
    /// Whether this compares two values.
    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }

    /// Whether the comparison `a op b` holds when `a.cmp(b)` is `ord` (the one table of what each
    /// comparison means; non-comparisons answer as `>=`).
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            BinOp::Eq => ord == Equal,
            BinOp::Ne => ord != Equal,
            BinOp::Lt => ord == Less,
            BinOp::Le => ord != Greater,
            BinOp::Gt => ord == Greater,
            _ => ord != Less,
        }
    }

    fn row(self) -> &'static (BinOp, &'static str, &'static str) {
        // Every operator has a row; the table is exhaustive by construction (see the test).
        BINOPS.iter().find(|(op, _, _)| *op == self).unwrap_or(&BINOPS[0])
    }

    /// The spelling in rule files (`>=`, `and`).
    pub fn source(self) -> &'static str {
        self.row().1
    }

    /// The symbol shown in Chinese reasons.
    pub fn symbol(self) -> &'static str {
        self.row().2
    }

    /// The operator spelled `sym` among `ops`, if any.
    fn spelled(sym: &str, ops: &[BinOp]) -> Option<BinOp> {
        ops.iter().copied().find(|op| op.source() == sym)
    }
}

/// A parsed expression. Names stay unresolved here; `crate::compile` resolves them.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number literal.
    Num(f64),
    /// A text literal, with its byte offset.
    Text(String, usize),
    /// `true` / `false`.
    Bool(bool),
    /// `none`: a number that is not known (e.g. no amount in this branch).
    None,
    /// A name, with its byte offset in the expression.
    Name(String, usize),
    /// `not e`.
    Not(Box<Expr>),
    /// `-e`.
    Neg(Box<Expr>),
    /// `a op b`.
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// `if c then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `f(args)`, with the byte offset of the name.
    Call(String, Vec<Expr>, usize),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Text(String),
    Name(String),
    Sym(&'static str),
    End,
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

const SYMS: [&str; 16] = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "(", ")", ",", "!"];

impl Lexer<'_> {
    fn next(&mut self) -> Result<(Tok, usize), ParseError> {
        let rest = &self.src[self.pos..];
        let trimmed = rest.trim_start();
        self.pos += rest.len() - trimmed.len();
        let start = self.pos;
        let Some(c) = trimmed.chars().next() else {
            return Ok((Tok::End, start));
        };
        if c.is_ascii_digit() || (c == '.' && trimmed[1..].starts_with(|d: char| d.is_ascii_digit())) {
            let len = trimmed.find(|d: char| !(d.is_ascii_digit() || d == '.' || d == '_')).unwrap_or(trimmed.len());
            let text = trimmed[..len].replace('_', "");
            let mut n: f64 = text.parse().map_err(|_| ParseError::syntax(start, format!("bad number `{text}`")))?;
            self.pos += len;
            if self.src[self.pos..].starts_with('%') {
                self.pos += 1;
                n /= 100.0;
            }
            return Ok((Tok::Num(n), start));
        }
        if c == '\'' {
            let body = &trimmed[1..];
            let Some(end) = body.find('\'') else {
                return Err(ParseError::syntax(start, "text is not closed by `'`".into()));
            };
            self.pos += end + 2;
            return Ok((Tok::Text(body[..end].to_string()), start));
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let len = trimmed.find(|d: char| !(d.is_ascii_alphanumeric() || d == '_')).unwrap_or(trimmed.len());
            self.pos += len;
            return Ok((Tok::Name(trimmed[..len].to_string()), start));
        }
        for s in SYMS {
            if trimmed.starts_with(s) {
                self.pos += s.len();
                return Ok((Tok::Sym(s), start));
            }
        }
        Err(ParseError::syntax(start, format!("unexpected character `{c}`")))
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    tok: Tok,
    at: usize,
    /// Current recursion depth of the parser.
    depth: usize,
}

/// An expression with the height of its tree (a leaf is 1).
type Parsed = Result<(Expr, usize), ParseError>;

/// Parses an expression.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut p = Parser { lexer: Lexer { src, pos: 0 }, tok: Tok::End, at: 0, depth: 0 };
    p.bump()?;
    let (e, _) = p.expr()?;
    if p.tok != Tok::End {
        return Err(p.err(format!("unexpected {} after the end of the expression", p.describe())));
    }
    Ok(e)
}

impl Parser<'_> {
    fn bump(&mut self) -> Result<(), ParseError> {
        let (t, at) = self.lexer.next()?;
        self.tok = t;
        self.at = at;
        Ok(())
    }

    fn err(&self, message: String) -> ParseError {
        ParseError::syntax(self.at, message)
    }

    fn too_deep(&self) -> ParseError {
        ParseError {
            code: Code::TooDeep,
            offset: self.at,
            message: format!("expression nested too deeply (limit {MAX_DEPTH} levels)"),
        }
    }

    /// Runs `f` one recursion level deeper, refusing to go past [`MAX_DEPTH`].
    fn nested(&mut self, f: impl FnOnce(&mut Self) -> Parsed) -> Parsed {
        if self.depth >= MAX_DEPTH {
            return Err(self.too_deep());
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// A node over `kids`, refusing a tree higher than [`MAX_DEPTH`].
    fn node(&self, e: Expr, kids: &[usize]) -> Parsed {
        let h = 1 + kids.iter().copied().max().unwrap_or(0);
        if h > MAX_DEPTH {
            return Err(self.too_deep());
        }
        Ok((e, h))
    }

    fn describe(&self) -> String {
        match &self.tok {
            Tok::Num(n) => format!("number `{n}`"),
            Tok::Text(t) => format!("text '{t}'"),
            Tok::Name(n) => format!("`{n}`"),
            Tok::Sym(s) => format!("`{s}`"),
            Tok::End => "end of expression".into(),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Name(n) if n == kw)
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), ParseError> {
        if !self.is_kw(kw) {
            return Err(self.err(format!("expected `{kw}`, found {}", self.describe())));
        }
        self.bump()
    }

    fn expr(&mut self) -> Parsed {
        self.nested(|p| {
            if !p.is_kw("if") {
                return p.or();
            }
            p.bump()?;
            let (c, hc) = p.expr()?;
            p.expect_kw("then")?;
            let (a, ha) = p.expr()?;
            p.expect_kw("else")?;
            let (b, hb) = p.expr()?;
            p.node(Expr::If(Box::new(c), Box::new(a), Box::new(b)), &[hc, ha, hb])
        })
    }

    /// The operator at the current token among `ops` (by symbol or keyword spelling).
    fn op_among(&self, ops: &[BinOp]) -> Option<BinOp> {
        match &self.tok {
            Tok::Sym("&&") => ops.contains(&BinOp::And).then_some(BinOp::And),
            Tok::Sym("||") => ops.contains(&BinOp::Or).then_some(BinOp::Or),
            Tok::Sym(s) => BinOp::spelled(s, ops),
            Tok::Name(n) => BinOp::spelled(n, ops),
            _ => None,
        }
    }

    /// A left-associative chain `next (op next)*` of the operators `ops`.
    fn chain(&mut self, ops: &[BinOp], next: fn(&mut Self) -> Parsed) -> Parsed {
        let (mut e, mut h) = next(self)?;
        while let Some(op) = self.op_among(ops) {
            self.bump()?;
            let (b, hb) = next(self)?;
            (e, h) = self.node(Expr::Bin(op, Box::new(e), Box::new(b)), &[h, hb])?;
        }
        Ok((e, h))
    }

    fn or(&mut self) -> Parsed {
        self.chain(&[BinOp::Or], Self::and)
    }

    fn and(&mut self) -> Parsed {
        self.chain(&[BinOp::And], Self::not)
    }

    fn not(&mut self) -> Parsed {
        if self.is_kw("not") || self.tok == Tok::Sym("!") {
            self.bump()?;
            return self.nested(|p| {
                let (e, h) = p.not()?;
                p.node(Expr::Not(Box::new(e)), &[h])
            });
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Parsed {
        let (e, h) = self.sum()?;
        let Some(op) = self.op_among(&[BinOp::Eq, BinOp::Ne, BinOp::Le, BinOp::Ge, BinOp::Lt, BinOp::Gt]) else {
            return Ok((e, h));
        };
        self.bump()?;
        let (b, hb) = self.sum()?;
        self.node(Expr::Bin(op, Box::new(e), Box::new(b)), &[h, hb])
    }

    fn sum(&mut self) -> Parsed {
        self.chain(&[BinOp::Add, BinOp::Sub], Self::product)
    }

    fn product(&mut self) -> Parsed {
        self.chain(&[BinOp::Mul, BinOp::Div], Self::unary)
    }

    fn unary(&mut self) -> Parsed {
        if self.tok == Tok::Sym("-") {
            self.bump()?;
            return self.nested(|p| {
                let (e, h) = p.unary()?;
                p.node(Expr::Neg(Box::new(e)), &[h])
            });
        }
        self.atom()
    }

    fn atom(&mut self) -> Parsed {
        let at = self.at;
        let e = match std::mem::replace(&mut self.tok, Tok::End) {
            Tok::Num(n) => Expr::Num(n),
            Tok::Text(t) => Expr::Text(t, at),
            Tok::Name(n) if n == "true" => Expr::Bool(true),
            Tok::Name(n) if n == "false" => Expr::Bool(false),
            Tok::Name(n) if n == "none" => Expr::None,
            Tok::Name(n) if ["and", "or", "not", "if", "then", "else"].contains(&n.as_str()) => {
                self.tok = Tok::Name(n.clone());
                return Err(self.err(format!("expected a value, found keyword `{n}`")));
            }
            Tok::Name(n) => {
                self.bump()?;
                if self.tok != Tok::Sym("(") {
                    return Ok((Expr::Name(n, at), 1));
                }
                self.bump()?;
                let mut args = Vec::new();
                let mut heights = Vec::new();
                if self.tok != Tok::Sym(")") {
                    loop {
                        let (a, h) = self.expr()?;
                        args.push(a);
                        heights.push(h);
                        if self.tok == Tok::Sym(",") {
                            self.bump()?;
                        } else {
                            break;
                        }
                    }
                }
                if self.tok != Tok::Sym(")") {
                    return Err(self.err(format!("expected `)` or `,`, found {}", self.describe())));
                }
                self.bump()?;
                return self.node(Expr::Call(n, args, at), &heights);
            }
            Tok::Sym("(") => {
                self.bump()?;
                let inner = self.expr()?;
                if self.tok != Tok::Sym(")") {
                    return Err(self.err(format!("expected `)`, found {}", self.describe())));
                }
                self.bump()?;
                return Ok(inner);
            }
            other => {
                self.tok = other;
                return Err(self.err(format!("expected a value, found {}", self.describe())));
            }
        };
        self.bump()?;
        Ok((e, 1))
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num(n) => write!(f, "{n}"),
            Expr::Text(t, _) => write!(f, "'{t}'"),
            Expr::Bool(b) => write!(f, "{b}"),
            Expr::None => f.write_str("none"),
            Expr::Name(n, _) => f.write_str(n),
            Expr::Not(e) => write!(f, "not ({e})"),
            Expr::Neg(e) => write!(f, "-({e})"),
            Expr::Bin(op, a, b) => write!(f, "({a} {} {b})", op.source()),
            Expr::If(c, a, b) => write!(f, "(if {c} then {a} else {b})"),
            Expr::Call(n, args, _) => {
                write!(f, "{n}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        parse(s).map(|e| e.to_string()).unwrap_or_else(|e| format!("error at {}: {}", e.offset, e.message))
    }

    #[test]
    fn parses_precedence_and_percent() {
        assert_eq!(p("a + b * 2 >= 5.5%"), "((a + (b * 2)) >= 0.055)");
        assert_eq!(p("not x and y or z"), "((not (x) and y) or z)");
        assert_eq!(p("if r <= 5000 then 5% else 4%"), "(if (r <= 5000) then 0.05 else 0.04)");
        assert_eq!(p("prefix(industry_code, '17', '18')"), "prefix(industry_code, '17', '18')");
    }

    #[test]
    fn operator_table_is_exhaustive() {
        use BinOp::*;
        for op in [Add, Sub, Mul, Div, Eq, Ne, Lt, Le, Gt, Ge, And, Or] {
            assert_eq!(op.row().0, op);
        }
        assert_eq!(p("a && b || !c"), "((a and b) or not (c))");
    }

    #[test]
    fn every_recursive_path_is_bounded() {
        let limit = MAX_DEPTH;
        for (unit, close) in [("not ", ""), ("- ", ""), ("(", ")"), ("min(", ")"), ("if true then 1 else ", "")] {
            let ok = format!("{}x{}", unit.repeat(limit - 2), close.repeat(limit - 2));
            assert!(parse(&ok).is_ok(), "{unit}: {:?}", parse(&ok).err());
            let deep = format!("{}x{}", unit.repeat(100_000), close.repeat(100_000));
            let e = parse(&deep).expect_err(unit);
            assert_eq!(e.code, Code::TooDeep, "{unit}: {}", e.message);
        }
        // A flat chain builds a deep tree: bounded by height, not only by recursion.
        for op in [" + ", " * ", " and ", " or "] {
            let e = parse(&vec!["x"; 100_000].join(op)).expect_err(op);
            assert_eq!(e.code, Code::TooDeep);
        }
        assert!(parse(&vec!["x"; limit - 1].join(" + ")).is_ok());
    }

    #[test]
    fn reports_offsets() {
        assert_eq!(p("a >= "), "error at 5: expected a value, found end of expression");
        assert_eq!(p("a >= 1 )"), "error at 7: unexpected `)` after the end of the expression");
        assert_eq!(p("size == 'x"), "error at 8: text is not closed by `'`");
        assert_eq!(p("a # b"), "error at 2: unexpected character `#`");
    }
}

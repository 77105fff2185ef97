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

use std::fmt;

/// A parse error with its byte offset inside the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// Byte offset in the expression.
    pub offset: usize,
    /// What went wrong.
    pub message: String,
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

impl BinOp {
    /// Whether this compares two values.
    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }

    /// The symbol shown in Chinese reasons.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "−",
            BinOp::Mul => "×",
            BinOp::Div => "÷",
            BinOp::Eq => "=",
            BinOp::Ne => "≠",
            BinOp::Lt => "<",
            BinOp::Le => "≤",
            BinOp::Gt => ">",
            BinOp::Ge => "≥",
            BinOp::And => "且",
            BinOp::Or => "或",
        }
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
            let mut n: f64 = text.parse().map_err(|_| ParseError { offset: start, message: format!("bad number `{text}`") })?;
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
                return Err(ParseError { offset: start, message: "text is not closed by `'`".into() });
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
        Err(ParseError { offset: start, message: format!("unexpected character `{c}`") })
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    tok: Tok,
    at: usize,
    depth: usize,
}

/// Parses an expression.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut p = Parser { lexer: Lexer { src, pos: 0 }, tok: Tok::End, at: 0, depth: 0 };
    p.bump()?;
    let e = p.expr()?;
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
        ParseError { offset: self.at, message }
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

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > 64 {
            return Err(self.err("expression nested too deeply (limit 64)".into()));
        }
        let e = if self.is_kw("if") {
            self.bump()?;
            let c = self.expr()?;
            self.expect_kw("then")?;
            let a = self.expr()?;
            self.expect_kw("else")?;
            let b = self.expr()?;
            Expr::If(Box::new(c), Box::new(a), Box::new(b))
        } else {
            self.or()?
        };
        self.depth -= 1;
        Ok(e)
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.and()?;
        while self.is_kw("or") || self.tok == Tok::Sym("||") {
            self.bump()?;
            e = Expr::Bin(BinOp::Or, Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.not()?;
        while self.is_kw("and") || self.tok == Tok::Sym("&&") {
            self.bump()?;
            e = Expr::Bin(BinOp::And, Box::new(e), Box::new(self.not()?));
        }
        Ok(e)
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.is_kw("not") || self.tok == Tok::Sym("!") {
            self.bump()?;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Expr, ParseError> {
        let e = self.sum()?;
        let op = match self.tok {
            Tok::Sym("==") => BinOp::Eq,
            Tok::Sym("!=") => BinOp::Ne,
            Tok::Sym("<") => BinOp::Lt,
            Tok::Sym("<=") => BinOp::Le,
            Tok::Sym(">") => BinOp::Gt,
            Tok::Sym(">=") => BinOp::Ge,
            _ => return Ok(e),
        };
        self.bump()?;
        Ok(Expr::Bin(op, Box::new(e), Box::new(self.sum()?)))
    }

    fn sum(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.product()?;
        loop {
            let op = match self.tok {
                Tok::Sym("+") => BinOp::Add,
                Tok::Sym("-") => BinOp::Sub,
                _ => return Ok(e),
            };
            self.bump()?;
            e = Expr::Bin(op, Box::new(e), Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.unary()?;
        loop {
            let op = match self.tok {
                Tok::Sym("*") => BinOp::Mul,
                Tok::Sym("/") => BinOp::Div,
                _ => return Ok(e),
            };
            self.bump()?;
            e = Expr::Bin(op, Box::new(e), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.tok == Tok::Sym("-") {
            self.bump()?;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, ParseError> {
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
                if self.tok == Tok::Sym("(") {
                    self.bump()?;
                    let mut args = Vec::new();
                    if self.tok != Tok::Sym(")") {
                        loop {
                            args.push(self.expr()?);
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
                    return Ok(Expr::Call(n, args, at));
                }
                return Ok(Expr::Name(n, at));
            }
            Tok::Sym("(") => {
                self.bump()?;
                let e = self.expr()?;
                if self.tok != Tok::Sym(")") {
                    return Err(self.err(format!("expected `)`, found {}", self.describe())));
                }
                e
            }
            other => {
                self.tok = other;
                return Err(self.err(format!("expected a value, found {}", self.describe())));
            }
        };
        self.bump()?;
        Ok(e)
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
            Expr::Bin(op, a, b) => {
                let s = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::Div => "/",
                    BinOp::Eq => "==",
                    BinOp::Ne => "!=",
                    BinOp::Lt => "<",
                    BinOp::Le => "<=",
                    BinOp::Gt => ">",
                    BinOp::Ge => ">=",
                    BinOp::And => "and",
                    BinOp::Or => "or",
                };
                write!(f, "({a} {s} {b})")
            }
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
    fn reports_offsets() {
        assert_eq!(p("a >= "), "error at 5: expected a value, found end of expression");
        assert_eq!(p("a >= 1 )"), "error at 7: unexpected `)` after the end of the expression");
        assert_eq!(p("size == 'x"), "error at 8: text is not closed by `'`");
        assert_eq!(p("a # b"), "error at 2: unexpected character `#`");
    }
}

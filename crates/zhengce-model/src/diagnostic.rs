//! Diagnostics about corpus files: a stable code, the place, and a message.

use std::fmt;

use serde::Serialize;

/// A stable diagnostic code. Codes never change meaning; tests pin one broken file per code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// E001: the file is not valid RON / TOML (syntax or shape).
    Syntax,
    /// E002: an identifier names no schema field, derived fact or parameter.
    UnknownName,
    /// E003: an expression combines values of incompatible types.
    TypeMismatch,
    /// E004: a rule names a policy slug that does not exist.
    UnknownPolicy,
    /// E005: derived facts depend on each other in a cycle.
    DerivedCycle,
    /// E006: the periods of a dated parameter (or of dated criteria) overlap, leave a gap or do not
    /// cover the policy's period.
    ParamPeriods,
    /// E007: an expression inside a rule does not parse.
    ExprSyntax,
    /// E008: a policy file's metadata is invalid (missing field, bad date, unordered dates).
    PolicyMeta,
    /// E009: two files claim the same slug, or two rules the same policy.
    Duplicate,
    /// E010: an example profile in a rule file is invalid.
    ExampleProfile,
    /// E011: an example's expected outcome differs from the engine's answer.
    ExampleFailed,
    /// E012: an evaluable policy has no rule file, or a rule targets a non-evaluable policy.
    Coverage,
    /// E013: an expression or condition tree is nested deeper than the rule language allows.
    TooDeep,
    /// E014: a policy's confidence mark is more certain than a criterion or parameter it contains.
    Confidence,
    /// E015: a region fact (`rules/region-facts.ron`) names no region-fact field, has a value of
    /// the wrong type, a bad region code, or periods that overlap for the same region.
    RegionFact,
}

impl Code {
    /// The stable text form, e.g. `E004`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "E001",
            Code::UnknownName => "E002",
            Code::TypeMismatch => "E003",
            Code::UnknownPolicy => "E004",
            Code::DerivedCycle => "E005",
            Code::ParamPeriods => "E006",
            Code::ExprSyntax => "E007",
            Code::PolicyMeta => "E008",
            Code::Duplicate => "E009",
            Code::ExampleProfile => "E010",
            Code::ExampleFailed => "E011",
            Code::Coverage => "E012",
            Code::TooDeep => "E013",
            Code::Confidence => "E014",
            Code::RegionFact => "E015",
        }
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about one file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// The file, as given by the caller (e.g. `rules/cn-hnte-certification.ron`).
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column in characters, 0 when unknown.
    pub column: usize,
    /// What is wrong and, where possible, how to fix it.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at a known position.
    pub fn at(code: Code, file: &str, (line, column): (usize, usize), message: impl Into<String>) -> Diagnostic {
        Diagnostic { code, file: file.to_string(), line, column, message: message.into() }
    }

    /// A diagnostic located at the byte offset `offset` of `source`.
    pub fn at_offset(code: Code, file: &str, source: &str, offset: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(code, file, line_col(source, offset), message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {} {}", self.file, self.line, self.column, self.code, self.message)
    }
}

/// Converts a byte offset into a 1-based (line, column-in-chars) pair.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let mut offset = offset;
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = source[line_start..offset].chars().count() + 1;
    (line, column)
}

/// Converts a 1-based (line, column-in-chars) pair into a byte offset.
pub fn offset_of(source: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in source.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset + l.char_indices().nth(column.saturating_sub(1)).map_or(l.len(), |(b, _)| b);
        }
        offset += l.len();
    }
    source.len()
}

/// The closest candidate to `name` by edit distance, if it is close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(name, c);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let limit = (name.chars().count().max(3) / 3).max(1);
    (d <= limit).then_some(c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_chars() {
        let s = "第一行\n稳岗a";
        assert_eq!(line_col(s, s.find('a').unwrap()), (2, 3));
        assert_eq!(offset_of(s, 2, 3), s.find('a').unwrap());
    }

    #[test]
    fn suggests_typos() {
        assert_eq!(suggest("employes", ["employees", "revenue"]), Some("employees"));
        assert_eq!(suggest("zzz", ["employees", "revenue"]), None);
    }
}

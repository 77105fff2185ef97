//! Policy documents (`policies/<slug>.md`): TOML front matter plus a Chinese Markdown body.
//!
//! The format is documented in `docs/policy-format.md`.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::diagnostic::{Code, Diagnostic, line_col};

/// Administrative level of the issuing government.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 国家.
    National,
    /// 省.
    Province,
    /// 市.
    City,
    /// 县.
    County,
}

impl Level {
    /// All levels, widest first.
    pub const ALL: [Level; 4] = [Level::National, Level::Province, Level::City, Level::County];

    /// The stable English name used in files, flags and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::National => "national",
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Level::National => "国家",
            Level::Province => "省级",
            Level::City => "市级",
            Level::County => "县级",
        }
    }
}

/// The support dimension a policy belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// 用工.
    Employment,
    /// 融资.
    Financing,
    /// 技改 (technology upgrades, innovation).
    Technology,
    /// 数字化 (智改数转).
    Digital,
    /// 税费.
    Tax,
}

impl Dimension {
    /// All dimensions.
    pub const ALL: [Dimension; 5] =
        [Dimension::Employment, Dimension::Financing, Dimension::Technology, Dimension::Digital, Dimension::Tax];

    /// The stable English name.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Employment => "employment",
            Dimension::Financing => "financing",
            Dimension::Technology => "technology",
            Dimension::Digital => "digital",
            Dimension::Tax => "tax",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Dimension::Employment => "用工",
            Dimension::Financing => "融资",
            Dimension::Technology => "技改",
            Dimension::Digital => "数字化",
            Dimension::Tax => "税费",
        }
    }
}

/// How sure we are of the policy's key facts (the fact sheet's mark).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Confidence {
    /// Verified in an official or mainstream-news source.
    V,
    /// Secondary source.
    S,
    /// General knowledge, unverified (shown to users as 待核实).
    GK,
}

impl Confidence {
    /// The lowest (least certain) mark written in a citation: `[V:R07]`, `[S:R48-7]`, `[GK]`,
    /// `[S/GK]`; `None` when the text carries no mark.
    pub fn lowest_mark(text: &str) -> Option<Confidence> {
        let mut lowest = None;
        for (i, _) in text.match_indices('[') {
            let rest = &text[i + 1..];
            let end = rest.find(']').unwrap_or(rest.len());
            let tag = &rest[..end];
            let head = tag.split(':').next().unwrap_or("");
            for part in head.split('/') {
                let c = match part.trim() {
                    "V" => Confidence::V,
                    "S" => Confidence::S,
                    "GK" => Confidence::GK,
                    _ => continue,
                };
                lowest = Some(lowest.map_or(c, |l: Confidence| l.max(c)));
            }
        }
        lowest
    }

    /// `待核实` for secondary and general-knowledge facts, nothing for verified ones.
    pub fn caveat(self) -> Option<&'static str> {
        match self {
            Confidence::V => None,
            Confidence::S | Confidence::GK => Some("待核实"),
        }
    }

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::V => "V",
            Confidence::S => "S",
            Confidence::GK => "GK",
        }
    }
}

/// Whether the record is a real policy with published criteria.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Marking {
    /// A real policy with published criteria.
    Official,
    /// Exists or is being drafted; criteria or amounts unpublished. Shown as 草案/待核实.
    Draft,
    /// Illustrative only, not a real policy. Shown as 示例.
    Sample,
    /// Kept as history; never matched.
    Historical,
}

impl Marking {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Marking::Official => "official",
            Marking::Draft => "draft",
            Marking::Sample => "sample",
            Marking::Historical => "historical",
        }
    }

    /// The badge every user-facing output shows, if any.
    pub fn badge(self) -> Option<&'static str> {
        match self {
            Marking::Official => None,
            Marking::Draft => Some("草案/待核实"),
            Marking::Sample => Some("示例"),
            Marking::Historical => Some("历史政策"),
        }
    }
}

/// Whether an enterprise can qualify for the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A benefit an enterprise can qualify for.
    Benefit,
    /// An information channel, never matched.
    Channel,
}

/// A cited source: the document itself (issuer, 文号, date, official address where known). How the
/// text was found (a reprint, a code index) is kept apart in `retrieved` and never shown as the source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The fact sheet's source id (R06, …).
    pub id: String,
    /// The document: its title or number, as it would be cited.
    pub title: String,
    /// Issuing bodies, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Document number (文号), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    /// Date issued or published, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
    /// The address of the document (official where known).
    #[serde(default)]
    pub url: Option<String>,
    /// How the text was retrieved (a reprint, a code-index file): provenance for maintainers,
    /// never shown as the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieved: Option<String>,
    /// The fact sheet's mark for this source (`V`, `S`, `GK`), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
}

/// Words that describe how a text was found rather than what the document is; a source title
/// containing one is refused (it belongs in `retrieved`).
pub const RETRIEVAL_WORDS: [&str; 4] = ["GitHub", "索引文件", "code index", "index file"];

/// The front matter of a policy file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyMeta {
    /// Stable slug, equal to the file name.
    pub slug: String,
    /// Short title.
    pub title: String,
    /// Full document title.
    #[serde(default)]
    pub doc_title: Option<String>,
    /// Document number (文号).
    #[serde(default)]
    pub doc_number: Option<String>,
    /// Issuing level.
    pub level: Level,
    /// Region code; `None` means nationwide.
    #[serde(default)]
    pub region: Option<String>,
    /// Issuing bodies.
    pub issuers: Vec<String>,
    /// The county department that handles it.
    pub department: String,
    /// Dimensions.
    pub dimensions: Vec<Dimension>,
    /// Search keywords.
    #[serde(default)]
    pub tags: Vec<String>,
    /// First day in force.
    pub effective_from: Date,
    /// Last day in force; `None` is open-ended.
    #[serde(default)]
    pub effective_to: Option<Date>,
    /// Application window start.
    #[serde(default)]
    pub apply_from: Option<Date>,
    /// Application window end (the deadline).
    #[serde(default)]
    pub apply_to: Option<Date>,
    /// One-line benefit summary.
    pub benefit_summary: String,
    /// Materials to bring.
    #[serde(default)]
    pub materials: Vec<String>,
    /// How to apply.
    #[serde(default)]
    pub channel: Option<String>,
    /// Confidence of the key facts.
    pub confidence: Confidence,
    /// Official, draft, sample or historical.
    pub marking: Marking,
    /// Benefit or channel.
    pub kind: Kind,
    /// Whether a rule file evaluates it.
    pub evaluable: bool,
    /// Caveats shown to users.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The slug of the policy this one implements locally (the same money, never to be added up).
    #[serde(default)]
    pub implements: Option<String>,
    /// The slug of the earlier record this one renews (a 2026 notice continuing a 2025 measure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    /// Sources.
    pub sources: Vec<Source>,
}

/// A parsed policy file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Policy {
    /// Metadata.
    #[serde(flatten)]
    pub meta: PolicyMeta,
    /// The Chinese Markdown body.
    pub body: String,
}

impl Policy {
    /// Whether the policy is in force on `as_of`.
    pub fn in_force(&self, as_of: Date) -> bool {
        self.meta.effective_from <= as_of && self.meta.effective_to.is_none_or(|to| as_of <= to)
    }

    /// Whether the policy applies to an enterprise registered in `region` (a 6-digit code).
    pub fn covers_region(&self, region: &str) -> bool {
        self.meta.region.as_deref().is_none_or(|r| region_contains(r, region))
    }
}

/// Whether division `outer` contains division `inner` (county ⊂ city ⊂ province).
pub fn region_contains(outer: &str, inner: &str) -> bool {
    let prefix = outer.trim_end_matches("00");
    let prefix = if prefix.len() % 2 == 1 { &outer[..prefix.len() + 1] } else { prefix };
    inner.len() == 6 && outer.len() == 6 && inner.starts_with(prefix)
}

/// Parses one policy file. `file` names it in diagnostics (e.g. `policies/x.md`).
pub fn parse_policy(file: &str, source: &str) -> Result<Policy, Vec<Diagnostic>> {
    let diag = |offset: usize, msg: String| Diagnostic::at_offset(Code::PolicyMeta, file, source, offset, msg);
    let Some(rest) = source.strip_prefix("+++\n").or_else(|| source.strip_prefix("+++\r\n")) else {
        return Err(vec![diag(0, "policy file must start with a `+++` line opening the TOML front matter".into())]);
    };
    let start = source.len() - rest.len();
    let Some(end_rel) = rest.find("\n+++") else {
        return Err(vec![diag(source.len(), "front matter is not closed by a `+++` line".into())]);
    };
    let front = &rest[..end_rel + 1];
    let body_start = start + end_rel + 4;
    let body = source[body_start..].trim_start_matches(['\r', '\n']).to_string();
    let meta: PolicyMeta = match toml::from_str(front) {
        Ok(m) => m,
        Err(e) => {
            let offset = start + e.span().map_or(0, |s| s.start);
            let (line, column) = line_col(source, offset);
            let code = if e.message().contains("missing field") || e.message().contains("unknown field") {
                Code::PolicyMeta
            } else {
                Code::Syntax
            };
            return Err(vec![Diagnostic::at(code, file, (line, column), e.message().trim().to_string())]);
        }
    };
    let mut errs = Vec::new();
    let field_at = |key: &str| start + front.find(&format!("\n{key}")).map_or(0, |i| i + 1);
    let expected_slug = file.rsplit('/').next().unwrap_or(file).trim_end_matches(".md");
    if meta.slug != expected_slug {
        errs.push(diag(field_at("slug"), format!("slug `{}` differs from the file name `{expected_slug}`", meta.slug)));
    }
    if let Some(to) = meta.effective_to
        && to < meta.effective_from
    {
        errs.push(diag(field_at("effective_to"), format!("effective_to {to} is before effective_from {}", meta.effective_from)));
    }
    if let (Some(a), Some(b)) = (meta.apply_from, meta.apply_to)
        && b < a
    {
        errs.push(diag(field_at("apply_to"), format!("apply_to {b} is before apply_from {a}")));
    }
    if meta.sources.is_empty() {
        errs.push(diag(field_at("slug"), "a policy needs at least one source".into()));
    }
    for src in &meta.sources {
        if let Some(w) = RETRIEVAL_WORDS.iter().find(|w| src.title.contains(*w)) {
            let at = front.find(&src.title).map_or_else(|| field_at("[[sources]]"), |i| start + i);
            errs.push(diag(
                at,
                format!(
                    "source `{}` names how it was retrieved (`{w}`) instead of the document: cite the document (issuer, 文号, date) in `title`/`doc_number` and move the retrieval note to `retrieved`",
                    src.id
                ),
            ));
        }
    }
    if meta.issuers.is_empty() {
        errs.push(diag(field_at("issuers"), "a policy needs at least one issuer".into()));
    }
    if meta.dimensions.is_empty() {
        errs.push(diag(field_at("dimensions"), "a policy needs at least one dimension".into()));
    }
    if let Some(r) = &meta.region
        && (r.len() != 6 || !r.bytes().all(|b| b.is_ascii_digit()))
    {
        errs.push(diag(field_at("region"), format!("region `{r}` is not a 6-digit division code")));
    }
    if body.trim().is_empty() {
        errs.push(diag(source.len(), "the Chinese body is empty".into()));
    }
    if errs.is_empty() { Ok(Policy { meta, body }) } else { Err(errs) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_containment() {
        assert!(region_contains("370000", "370830"));
        assert!(region_contains("370800", "370830"));
        assert!(region_contains("370830", "370830"));
        assert!(!region_contains("370800", "370100"));
        assert!(!region_contains("370000", "320583"));
    }
}

//! Rule files (`rules/<slug>.ron`) as a file format. The language is documented in `zhengce-rules`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::policy::Confidence;

/// The near-miss margin when a rule sets none: a numeric threshold missed by at most this share of
/// its value is a near miss (`contracts.md`: 10%).
pub const DEFAULT_NEAR_MISS_MARGIN: f64 = 0.10;

/// A condition tree. Leaves are boolean expressions in the rule language.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Cond {
    /// Every child holds.
    All(Vec<Cond>),
    /// At least one child holds.
    Any(Vec<Cond>),
    /// The child does not hold.
    Not(Box<Cond>),
    /// At least `k` children hold.
    AtLeast(usize, Vec<Cond>),
    /// A boolean expression, e.g. `"layoff_rate <= max_layoff_rate"`.
    Check(String),
    /// A Chinese label for a condition or group, shown in reasons.
    Named(String, Box<Cond>),
    /// The numeric thresholds inside are ones the firm can act on (spend more on R&D, hire, keep
    /// paying contributions), so missing one by a small margin is a near miss; the text says what
    /// to do: `{gap}`, `{required}` and `{current}` insert the shortfall, the threshold and the
    /// value (in the compared fact's unit), `{expr}` / `{expr:%}` any value, as in benefit texts.
    /// Thresholds outside `Act` (size and head-count caps, staff bands, dates, categories) never
    /// produce a near miss.
    Act(String, Box<Cond>),
    /// Criteria that change on a date, like a dated parameter: on `as_of` the one period that
    /// covers it applies. Periods may neither overlap nor leave a gap, and together cover the
    /// policy's effective period (E006).
    Dated(Vec<DatedCond>),
}

/// One period of [`Cond::Dated`]: the criteria in force from `from` to `to`, and their source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedCond {
    /// First day the criteria apply.
    pub from: Date,
    /// Last day; `None` is open-ended.
    #[serde(default)]
    pub to: Option<Date>,
    /// The document that sets these criteria (shown in reasons).
    pub source: String,
    /// The criteria.
    pub cond: Cond,
}

/// One value of a dated parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamValue {
    /// First day the value applies.
    pub from: Date,
    /// Last day; `None` is open-ended.
    #[serde(default)]
    pub to: Option<Date>,
    /// The value; `None` when it was not published for this period (evaluates as unknown).
    pub value: Option<f64>,
    /// The citation: document number, article, URL, with the fact sheet's mark (`[V:R07]`,
    /// `[S:R48-hnte]`, `[GK]`).
    pub source: String,
    /// How sure the value is; when absent, the lowest mark written in `source` (none: unmarked).
    #[serde(default)]
    pub confidence: Option<Confidence>,
}

impl ParamValue {
    /// The value's confidence: the explicit one, else the lowest mark in its source.
    pub fn confidence(&self) -> Option<Confidence> {
        self.confidence.or_else(|| Confidence::lowest_mark(&self.source))
    }
}

/// The estimated benefit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Benefit")]
pub struct BenefitDef {
    /// Amount in 万元, an expression.
    pub amount: String,
    /// Chinese text; `{expr}` inserts a value, `{expr:%}` as a percentage, `{amount}` the amount.
    pub text: String,
}

/// The expected outcome of an example.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expect {
    /// `eligible`.
    Eligible,
    /// `possible`.
    Possible,
    /// `near_miss`.
    NearMiss,
    /// `ineligible`.
    Ineligible,
}

/// An example profile with its expected verdict; runs under `cargo test` and `zhengce check`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Example")]
pub struct Example {
    /// Name, unique within the file.
    pub name: String,
    /// The matching date.
    pub as_of: Date,
    /// The profile (field names of the schema).
    pub profile: serde_json::Map<String, serde_json::Value>,
    /// Region facts to assume instead of those of `rules/region-facts.ron` (to show a rule under
    /// another region's decision, e.g. a province that adopted a local option).
    #[serde(default)]
    pub region_facts: serde_json::Map<String, serde_json::Value>,
    /// Expected status.
    pub expect: Expect,
    /// Expected amount in 万元 (±0.01), when the rule defines one.
    #[serde(default)]
    pub amount: Option<f64>,
    /// Expected missing fields (for `Possible`), when given: the facts asked of the enterprise,
    /// then the region facts the verdict waits on.
    #[serde(default)]
    pub missing: Option<Vec<String>>,
    /// Expected gap fields (for `NearMiss`), when given.
    #[serde(default)]
    pub gaps: Option<Vec<String>>,
}

/// `rules/shared-params.ron`: dated parameters that come from another document (e.g. the national
/// unemployment-rate target that several rules compare against), defined once and usable by name
/// in every rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "SharedParams")]
pub struct SharedParamsFile {
    /// Dated parameters by name.
    pub params: BTreeMap<String, Vec<ParamValue>>,
}

/// A rule file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Rule")]
pub struct RuleFile {
    /// The policy slug.
    pub policy: String,
    /// Dated parameters by name.
    #[serde(default)]
    pub params: BTreeMap<String, Vec<ParamValue>>,
    /// Confidence of the criteria that read these facts (fields or derived facts), where the fact
    /// sheet marks a criterion itself rather than a threshold (`{"hnte_key_field": S}`). Criteria
    /// reading parameters take the parameters' marks as well; the lowest applies.
    #[serde(default)]
    pub confidence: BTreeMap<String, Confidence>,
    /// Eligibility conditions.
    pub eligibility: Cond,
    /// Near-miss margin as a share of the threshold (default [`DEFAULT_NEAR_MISS_MARGIN`]).
    #[serde(default)]
    pub near_miss_margin: Option<f64>,
    /// Benefit estimate.
    #[serde(default)]
    pub benefit: Option<BenefitDef>,
    /// Examples.
    #[serde(default)]
    pub examples: Vec<Example>,
}

//! The profile schema (`rules/schema.ron`) and derived facts (`rules/derived.ron`) as file formats.
//!
//! Semantics (validation of profiles, evaluation of derived facts) live in `zhengce-rules`.
//!
//! The schema is also the roster vocabulary: each field names the column headers a spreadsheet may
//! use for it ([`FieldDef::header`], [`FieldDef::aliases`]) and, for enums, the extra labels a
//! roster may write for a value ([`FieldDef::value_labels`]). These are optional (`#[serde(default)]`),
//! so schema files without them still parse.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The type of a profile field or derived fact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FieldType {
    /// Free text.
    Text,
    /// 统一社会信用代码, checked with GB 32100-2015.
    CreditCode,
    /// 6-digit administrative division code.
    Region,
    /// GB/T 4754-2017 industry code, 2–4 digits.
    IndustryCode,
    /// ISO date.
    Date,
    /// Money in 万元, non-negative.
    Money,
    /// Money in 万元 that may be negative (taxable income).
    SignedMoney,
    /// A whole, non-negative count.
    Count,
    /// A ratio between 0 and 1.
    Ratio,
    /// A real number (derived facts only).
    Number,
    /// An integer within bounds.
    Integer {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// Yes / no.
    Bool,
    /// One of the listed values, each with its Chinese label.
    Enum(Vec<(String, String)>),
}

impl FieldType {
    /// Whether values of this type are numbers.
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            FieldType::Money
                | FieldType::SignedMoney
                | FieldType::Count
                | FieldType::Ratio
                | FieldType::Number
                | FieldType::Integer { .. }
        )
    }

    /// The Chinese label of an enum value, if this is an enum that has it.
    pub fn enum_label(&self, value: &str) -> Option<&str> {
        match self {
            FieldType::Enum(vs) => vs.iter().find(|(v, _)| v == value).map(|(_, l)| l.as_str()),
            _ => None,
        }
    }
}

/// One field of the profile vocabulary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Canonical name (profile-fields.md).
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Chinese label, used in reasons.
    pub label: String,
    /// Unit shown after values (人, 万元, 个月, …); empty for none.
    #[serde(default)]
    pub unit: String,
    /// Group: identity, size, employment, financing, technology, digital, compliance.
    pub dimension: String,
    /// The question to ask when the fact is unknown.
    pub question: String,
    /// The Chinese roster column header (unit in full-width brackets, e.g. `从业人员（人）`); empty
    /// when the field is not a column of the standard roster. `zhengce demo-data` writes one column
    /// per field that has one. The name (the English header) and the label are always accepted too.
    #[serde(default)]
    pub header: String,
    /// Other column headers accepted for this field on import (Chinese or English).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// For enums: the labels a roster may write for each value, besides its code and schema label.
    /// The first label of a value is the one `zhengce demo-data` writes (the schema label if none).
    #[serde(default)]
    pub value_labels: BTreeMap<String, Vec<String>>,
    /// A fact that holds for a whole region (pilot-city status, a province's local option, a
    /// county's own programme): kept in `rules/region-facts.ron` by officers, never in a profile,
    /// never asked of an enterprise. Its `question` is put to officers (待确认的地区事实).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub region_fact: bool,
    /// The gate: a field whose answer must come first because this one only matters after it
    /// (「这笔贷款是否已享受贴息」 after 「有没有这笔贷款」). While both are unknown, only the gate is asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Answer choices to offer (是/否/不清楚, ranges), when useful.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Where to find the answer (社保缴费记录、汇算清缴申报表……).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl FieldDef {
    /// What a roster writes for an enum value: its first roster label, else its schema label.
    pub fn roster_label<'a>(&'a self, value: &'a str) -> Option<&'a str> {
        match self.value_labels.get(value).and_then(|l| l.first()) {
            Some(l) => Some(l.as_str()),
            None => self.ty.enum_label(value),
        }
    }
}

/// The profile schema file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Schema")]
pub struct SchemaFile {
    /// Fields, in display order.
    pub fields: Vec<FieldDef>,
}

/// A fact computed from others by an expression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DerivedDef {
    /// Name.
    pub name: String,
    /// Type of the result.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Chinese label.
    pub label: String,
    /// Unit.
    #[serde(default)]
    pub unit: String,
    /// The expression (see the rule language in `zhengce-rules`).
    pub expr: String,
    /// Why and from which source.
    #[serde(default)]
    pub source: String,
    /// Roster column headers that mean this fact besides its name and label (such columns are
    /// ignored on import, with a warning).
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// The derived-facts file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Derived")]
pub struct DerivedFile {
    /// Derived facts; each may use fields and earlier or later derived facts (no cycles).
    pub facts: Vec<DerivedDef>,
}

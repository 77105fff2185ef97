//! The profile schema (`rules/schema.ron`) and derived facts (`rules/derived.ron`) as file formats.
//!
//! Semantics (validation of profiles, evaluation of derived facts) live in `zhengce-rules`.

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
}

/// The derived-facts file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Derived")]
pub struct DerivedFile {
    /// Derived facts; each may use fields and earlier or later derived facts (no cycles).
    pub facts: Vec<DerivedDef>,
}

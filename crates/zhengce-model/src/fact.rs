//! Fact values and profiles.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::date::Date;

/// A known fact value. Unknown facts are simply absent from a [`Profile`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FactValue {
    /// A number (counts, money, ratios).
    Num(f64),
    /// Yes / no.
    Bool(bool),
    /// Text, enum values, codes.
    Text(String),
    /// A date.
    Date(Date),
}

impl fmt::Display for FactValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactValue::Num(n) => write!(f, "{n}"),
            FactValue::Bool(b) => write!(f, "{b}"),
            FactValue::Text(s) => f.write_str(s),
            FactValue::Date(d) => write!(f, "{d}"),
        }
    }
}

/// A validated enterprise profile: the known facts by canonical field name.
pub type Profile = BTreeMap<String, FactValue>;

//! zhengce-roster: officers' rosters in and out of the store, driven by the loaded profile schema.
//!
//! - [`import`]: importing a roster (CSV in UTF-8/GBK/UTF-16, xlsx/xls/ods) in one transaction,
//!   all or nothing (or, with `skip_invalid`, the good rows), every bad cell reported by row and
//!   column; [`import::read`](import) streams the file, [`cells`] types each cell.
//! - [`columns`]: which header names which field. The schema (`rules/schema*.ron`) is the only
//!   field list: headers, aliases and enum labels come from it, derived facts from
//!   `rules/derived.ron`.
//! - [`demo`]: the deterministic demo county generator (汶上县), also used to seed an empty store.
//!
//! Every profile is checked by the corpus schema ([`validate`], i.e. `Schema::parse_profile`, the
//! one profile validator) before the store writes it. This crate sits on `zhengce-engine` (for the
//! schema) and `zhengce-store` (for writing); the store knows nothing of the vocabulary.

pub mod cells;
pub mod columns;
pub mod demo;
mod error;
pub mod import;

use serde_json::{Map, Value};
use zhengce_engine::{FieldError, Schema};

pub use error::RosterError;

/// Checks a profile object with the schema and returns it in stored JSON form, or every problem.
pub fn validate(schema: &Schema, obj: &Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldError>> {
    let profile = schema.parse_profile(obj)?;
    match serde_json::to_value(&profile) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(vec![FieldError { field: String::new(), message: "内部错误：档案无法转换为JSON".into() }]),
    }
}

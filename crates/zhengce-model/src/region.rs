//! Region facts (`rules/region-facts.ron`) as a file format: facts that hold for a whole region —
//! whether a province adopted a local option, a city's pilot status, a county's own programme —
//! dated, sourced and marked with their confidence, maintained by officers in the corpus instead of
//! being asked of every enterprise.
//!
//! ```ron
//! RegionFacts(
//!     local_options: ["ui_refund_uplift_adopted"],
//!     facts: [
//!         (field: "ui_refund_uplift_adopted", region: "370000", from: "2025-01-01", to: "2025-12-31",
//!          value: false, confidence: V, source: "鲁人社字〔2025〕52号：…", retrieved: "R09 转载"),
//!     ],
//! )
//! ```
//!
//! A field is a region fact when the schema marks it `region_fact: true`. The value for an
//! enterprise is the entry for the narrowest region containing its registered region (county before
//! city before province before `000000`, the whole country) whose period covers the matching date.
//! A local option with no such entry is off (`false`); any other region fact with no entry is
//! unknown, and the answer stays `possible` with the question put to officers.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::policy::Confidence;

/// One dated, sourced value of a region fact for one region.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionFactValue {
    /// The schema field (marked `region_fact`).
    pub field: String,
    /// 6-digit division code: a county, city or province, or `000000` for the whole country.
    pub region: String,
    /// First day the value holds.
    pub from: Date,
    /// Last day; `None` is open-ended.
    #[serde(default)]
    pub to: Option<Date>,
    /// The value, of the field's type.
    pub value: serde_json::Value,
    /// How sure it is (the fact sheet's mark).
    pub confidence: Confidence,
    /// The document it rests on (issuer, 文号, date, address where known).
    pub source: String,
    /// How the text was retrieved (a reprint, a notice citing it); never shown as the source.
    #[serde(default)]
    pub retrieved: Option<String>,
}

/// The region-facts file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "RegionFacts")]
pub struct RegionFactsFile {
    /// Region facts that are local options: off (`false`) wherever no entry says the region
    /// adopted them.
    #[serde(default)]
    pub local_options: Vec<String>,
    /// The values.
    #[serde(default)]
    pub facts: Vec<RegionFactValue>,
}

/// The Chinese name of a division the corpus knows, else its code.
pub fn region_name(code: &str) -> &str {
    match code {
        "000000" => "全国",
        "370000" => "山东省",
        "370800" => "济宁市",
        "370830" => "汶上县",
        "370300" => "淄博市",
        _ => code,
    }
}

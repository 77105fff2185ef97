//! Shared fixtures: the bundled corpus and three Wenshang enterprises matched on 2025-06-01.

#![allow(dead_code)]

use std::path::PathBuf;

use zhengce_brief::{Brief, Identity, Scope, build};
use zhengce_engine::{Snapshot, SourceFile};
use zhengce_model::Date;
use zhengce_model::verdict::MatchReport;

/// The bundled corpus.
pub fn snapshot() -> Snapshot {
    let files = zhengce_corpus::source_root().read().expect("the source tree's corpus is readable");
    let loaded = zhengce_engine::load(files.into_iter().map(|(path, text)| SourceFile { path, text }).collect());
    loaded.snapshot
}

pub fn as_of() -> Date {
    "2025-06-01".parse().expect("date")
}

fn fixture(name: &str) -> serde_json::Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/profiles").join(name);
    serde_json::from_str(&std::fs::read_to_string(p).expect("fixture")).expect("json")
}

/// A young firm with most facts unknown: many `possible` policies and questions.
fn sparse() -> serde_json::Value {
    serde_json::json!({
        "credit_code": "91370830MA3D7N2P48",
        "name": "汶上县新织纺织有限公司（示例）",
        "region": "370830",
        "town": "南站镇",
        "chamber": "南站镇商会",
        "industry_code": "1713",
        "employees": 35,
        "revenue": 900,
        "insured_employees": 30
    })
}

fn identity(v: &serde_json::Value) -> Identity {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Identity {
        credit_code: s("credit_code").unwrap_or_default(),
        name: s("name").unwrap_or_default(),
        town: s("town"),
        park: s("park"),
        chamber: s("chamber"),
        industry: s("industry_code"),
    }
}

/// The three enterprises, matched.
pub fn enterprises(snap: &Snapshot) -> Vec<(Identity, MatchReport)> {
    [fixture("wenshang-garment-sme.json"), fixture("wenshang-textile-large.json"), sparse()]
        .iter()
        .map(|v| {
            let profile = snap.parse_profile_json(v).expect("valid profile");
            (identity(v), snap.match_profile(&profile, as_of()))
        })
        .collect()
}

/// The group brief of the three, as for a town visit.
pub fn group_brief() -> Brief {
    let snap = snapshot();
    build(&snap, Scope::Town("南站镇".into()), as_of(), &enterprises(&snap))
}

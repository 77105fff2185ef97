//! The demo county: a deterministic, streaming generator of a realistic 汶上县 roster.
//!
//! Enterprise `i` of seed `s` depends on `(s, i)` only (a splitmix64 stream per enterprise), so any
//! size from 10 to 10 million streams in flat memory and the same seed always gives the same file.
//! Credit codes are unique for up to 10 million enterprises (a bijection of the index) and carry a
//! valid GB 11714 organisation-code check and GB 32100 check character, region part 370830.
//!
//! Every name ends in 「（演示）」 so that no generated firm can pass for a real one. What is
//! modelled: a textile and garment county (17xx/18xx) with supporting trades; many micro and small
//! firms and a few large ones; revenue by headcount and sector; R&D with revenue; insured staff
//! ≤ employees; unemployment-insurance premium ≈ insured × 4.8 万元 wage base × 1%; and a realistic
//! share of unknown (absent) facts that varies by enterprise. Figures are for the last full year.
//!
//! The CSV columns are the schema's roster fields ([`crate::columns::roster_fields`]) under their
//! Chinese headers, enum values under their roster labels: the file `zhengce import` reads back.

mod data;
mod generate;
pub mod season;

use std::io::{self, Write};
use std::path::Path;

use std::collections::HashMap;

use serde_json::{Value, json};
use zhengce_engine::Schema;
use zhengce_model::schema::FieldDef;
use zhengce_store::bulk::{CHUNK, plan};
use zhengce_store::canonical::canonical_entries;
use zhengce_store::{Change, Store};

pub use generate::enterprise;

use crate::columns::roster_fields;
use crate::{RosterError, validate};

/// How many enterprises `serve` seeds an empty store with.
pub const SEED_ENTERPRISES: u64 = 800;
/// The seed used for that.
pub const SEED_SEED: u64 = 1;

/// Output format of `demo-data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoFormat {
    /// CSV with the Chinese headers of the import mapping (UTF-8 with BOM, so Excel opens it).
    Csv,
    /// One canonical profile JSON per line (the `batch --profiles` input).
    Jsonl,
}

impl DemoFormat {
    /// The format named by a file's extension.
    pub fn from_path(path: &Path) -> Option<DemoFormat> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Some(DemoFormat::Csv),
            Some("jsonl") => Some(DemoFormat::Jsonl),
            _ => None,
        }
    }
}

/// The text of a fact in a roster cell: roster labels for enums, 是/否 for yes/no.
fn cell_text(def: &FieldDef, v: &Value) -> String {
    match v {
        Value::String(s) => def.roster_label(s).unwrap_or(s).to_string(),
        Value::Bool(b) => (if *b { "是" } else { "否" }).to_string(),
        other => other.to_string(),
    }
}

/// Writes `n` demo enterprises to `out`, calling `progress` with the count written every 10,000.
/// The CSV has one column per roster field of `schema`; a generated fact without a column is an
/// error (the generator and the schema disagree).
pub fn write_demo<W: Write>(
    out: W,
    schema: &Schema,
    format: DemoFormat,
    n: u64,
    seed: u64,
    progress: &mut dyn FnMut(u64),
) -> io::Result<()> {
    match format {
        DemoFormat::Jsonl => {
            let mut out = out;
            for i in 0..n {
                let facts = generate::facts(seed, i);
                writeln!(out, "{}", canonical_entries(facts.iter().map(|(k, v)| (*k, v)).collect()))?;
                if (i + 1) % 10_000 == 0 {
                    progress(i + 1);
                }
            }
            out.flush()?;
        }
        DemoFormat::Csv => {
            let mut out = out;
            out.write_all("\u{feff}".as_bytes())?;
            let mut w = csv::Writer::from_writer(out);
            let columns: Vec<&FieldDef> = roster_fields(schema).collect();
            let index: HashMap<&str, usize> = columns.iter().enumerate().map(|(i, f)| (f.name.as_str(), i)).collect();
            w.write_record(columns.iter().map(|f| f.header.as_str()))?;
            let mut row: Vec<String> = vec![String::new(); columns.len()];
            for i in 0..n {
                row.iter_mut().for_each(String::clear);
                for (name, v) in generate::facts(seed, i) {
                    let Some(&c) = index.get(name) else {
                        return Err(io::Error::other(format!("演示字段 {name} 在档案模式中没有名册列（header）")));
                    };
                    row[c] = cell_text(columns[c], &v);
                }
                w.write_record(&row)?;
                if (i + 1) % 10_000 == 0 {
                    progress(i + 1);
                }
            }
            w.flush()?;
        }
    }
    progress(n);
    Ok(())
}

/// Seeds an empty store with `n` demo enterprises (checked by `schema`) in one transaction;
/// returns how many were written (0 when the store already holds enterprises).
pub async fn seed_if_empty(store: &Store, schema: &Schema, n: u64, seed: u64, at_ms: i64) -> Result<usize, RosterError> {
    if store.count_enterprises().await? > 0 {
        return Ok(0);
    }
    let mut tx = store.begin_bulk().await?;
    // Another process may have seeded between the count and the write lock.
    if tx.has_enterprises().await? {
        tx.rollback().await?;
        return Ok(0);
    }
    let change = Change { by: "demo", at_ms, source: "demo" };
    let mut pending = Vec::with_capacity(CHUNK);
    for i in 0..n {
        let profile = enterprise(seed, i);
        let valid = validate(schema, &profile).map_err(|issues| {
            let msgs: Vec<String> = issues.iter().map(|i| format!("{}：{}", i.field, i.message)).collect();
            RosterError::DemoInvalid(msgs.join("；"))
        })?;
        let code = valid.get("credit_code").and_then(Value::as_str).unwrap_or_default().to_string();
        if let Some(p) = plan(&code, &valid, None)? {
            pending.push(p);
        }
        if pending.len() >= CHUNK {
            tx.write(&pending, &change).await?;
            pending.clear();
        }
    }
    tx.write(&pending, &change).await?;
    let detail = json!({"enterprises": n, "seed": seed});
    tx.append_audit(at_ms, "demo", "seed_demo", "演示县", &detail).await?;
    tx.commit().await?;
    Ok(n as usize)
}

/// What `serve` calls on start: opens the store at `url` and, if it holds no enterprises, seeds it
/// with the demo county ([`SEED_ENTERPRISES`] enterprises, seed [`SEED_SEED`]). Returns the store
/// and how many enterprises were seeded (0 when it already had some). `at_ms` stamps the seeding.
pub async fn open_seeded(url: &str, schema: &Schema, at_ms: i64) -> Result<(Store, usize), RosterError> {
    let store = Store::open(url).await?;
    let seeded = seed_if_empty(&store, schema, SEED_ENTERPRISES, SEED_SEED, at_ms).await?;
    Ok((store, seeded))
}

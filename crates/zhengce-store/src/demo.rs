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

mod data;
mod generate;

use std::io::{self, Write};
use std::path::Path;

use serde_json::{Value, json};

pub use generate::enterprise;

use crate::fields::{FIELDS, Kind};
use crate::profiles::{CHUNK, plan, write_versions};
use crate::validate::{ProfileValidator, canonical_entries};
use crate::{Change, Store, StoreError, audit};

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

/// The text of a fact in a roster cell: Chinese labels for enums and yes/no.
fn cell_text(kind: Kind, v: &Value) -> String {
    match (kind, v) {
        (_, Value::String(s)) => match kind {
            Kind::Enum(values) => values.iter().find(|(c, _)| c == s).map_or(s.clone(), |(_, l)| l[0].to_string()),
            _ => s.clone(),
        },
        (_, Value::Bool(b)) => (if *b { "是" } else { "否" }).to_string(),
        (_, other) => other.to_string(),
    }
}

/// Writes `n` demo enterprises to `out`, calling `progress` with the count written every 10,000.
pub fn write_demo<W: Write>(out: W, format: DemoFormat, n: u64, seed: u64, progress: &mut dyn FnMut(u64)) -> io::Result<()> {
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
            w.write_record(FIELDS.iter().map(|f| f.header))?;
            let mut row: Vec<String> = Vec::with_capacity(FIELDS.len());
            for i in 0..n {
                let facts = generate::facts(seed, i);
                // Facts come in FIELDS order, so one walk pairs them with their columns.
                let mut next = facts.iter().peekable();
                row.clear();
                for f in FIELDS {
                    match next.next_if(|(k, _)| *k == f.name) {
                        Some((_, v)) => row.push(cell_text(f.kind, v)),
                        None => row.push(String::new()),
                    }
                }
                debug_assert!(next.peek().is_none(), "demo facts out of field order");
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

/// Seeds an empty store with `n` demo enterprises (checked by `validator`) in one transaction;
/// returns how many were written (0 when the store already holds enterprises).
pub async fn seed_if_empty(
    store: &Store,
    validator: &dyn ProfileValidator,
    n: u64,
    seed: u64,
    at_ms: i64,
) -> Result<usize, StoreError> {
    if store.count_enterprises().await? > 0 {
        return Ok(0);
    }
    let mut tx = store.begin_write().await?;
    // Another process may have seeded between the count and the write lock.
    if store_has_rows(&mut tx).await? {
        tx.rollback().await?;
        return Ok(0);
    }
    let change = Change { by: "demo", at_ms, source: "demo" };
    let mut pending = Vec::with_capacity(CHUNK);
    for i in 0..n {
        let profile = enterprise(seed, i);
        let valid = validator.validate(&profile).map_err(|issues| {
            let msgs: Vec<String> = issues.iter().map(|i| format!("{}：{}", i.field, i.message)).collect();
            StoreError::DemoInvalid(msgs.join("；"))
        })?;
        let code = valid.get("credit_code").and_then(Value::as_str).unwrap_or_default().to_string();
        if let Some(p) = plan(&code, &valid, None)? {
            pending.push(p);
        }
        if pending.len() >= CHUNK {
            write_versions(&mut tx, &pending, &change).await?;
            pending.clear();
        }
    }
    write_versions(&mut tx, &pending, &change).await?;
    let detail = json!({"enterprises": n, "seed": seed});
    audit::append_in(&mut tx, at_ms, "demo", "seed_demo", "演示县", &detail).await?;
    tx.commit().await?;
    Ok(n as usize)
}

/// What `serve` calls on start: opens the store at `url` and, if it holds no enterprises, seeds it
/// with the demo county ([`SEED_ENTERPRISES`] enterprises, seed [`SEED_SEED`]). Returns the store
/// and how many enterprises were seeded (0 when it already had some).
pub async fn open_seeded(url: &str, validator: &dyn ProfileValidator) -> Result<(Store, usize), StoreError> {
    let store = Store::open(url).await?;
    let seeded = seed_if_empty(&store, validator, SEED_ENTERPRISES, SEED_SEED, crate::now_ms()).await?;
    Ok((store, seeded))
}

async fn store_has_rows(conn: &mut sqlx::AnyConnection) -> Result<bool, StoreError> {
    use sqlx::Row as _;
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM enterprises").fetch_one(&mut *conn).await?.try_get(0)?;
    Ok(n > 0)
}

//! Enterprises and their profile versions.
//!
//! Every change of a profile is a new row in `profile_versions` (version 1, 2, …) with who, when,
//! from where, the canonical JSON, its content hash and the fields that changed; writing the same
//! facts again changes nothing. The `enterprises` row mirrors a few columns of the current version
//! (name, region, town, park, chamber, industry code) for listing by town, park or chamber.
//!
//! Profiles are stored as given: callers validate them first (with the corpus schema).

use std::collections::HashMap;

use serde_json::{Map, Value};
use sqlx::{Any, AnyConnection, AssertSqlSafe, Row as _};

use crate::canonical::{canonical, canonical_value, content_hash};
use crate::{Change, Store, StoreError};

/// An enterprise with its current profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Enterprise {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Current version number (1 = first).
    pub version: i64,
    /// The current profile.
    pub profile: Map<String, Value>,
    /// SHA-256 of the canonical profile text.
    pub content_hash: String,
    /// When the enterprise was first stored (Unix ms).
    pub created_at: i64,
    /// When its profile last changed (Unix ms).
    pub updated_at: i64,
}

/// One version of a profile.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileVersion {
    /// Version number.
    pub version: i64,
    /// The profile as of this version.
    pub profile: Map<String, Value>,
    /// SHA-256 of the canonical profile text.
    pub content_hash: String,
    /// Fields added, changed or removed against the previous version (all fields for version 1).
    pub changed_fields: Vec<String>,
    /// Who.
    pub changed_by: String,
    /// When (Unix ms).
    pub changed_at: i64,
    /// From where (`import:…`, `api`, `demo`).
    pub source: String,
}

/// What a write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutOutcome {
    /// A new enterprise, version 1.
    Created,
    /// A new version.
    Updated {
        /// The new version number.
        version: i64,
    },
    /// Same content as the current version: nothing written.
    Unchanged {
        /// The current version number.
        version: i64,
    },
}

/// Filters for listing enterprises (all given ones must match).
#[derive(Clone, Debug, Default)]
pub struct EnterpriseFilter {
    /// 镇街.
    pub town: Option<String>,
    /// Park.
    pub park: Option<String>,
    /// Chamber.
    pub chamber: Option<String>,
}

/// The current version of a stored profile, as the writers compare against it.
#[derive(Clone, Debug)]
pub struct Current {
    pub(crate) version: i64,
    pub(crate) profile: String,
    pub(crate) hash: String,
}

impl Current {
    /// The version number.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The stored profile.
    pub fn profile(&self) -> Result<Map<String, Value>, StoreError> {
        parse_profile(&self.profile)
    }
}

/// A profile version about to be written (see [`crate::bulk::plan`]).
#[derive(Clone, Debug)]
pub struct Pending {
    pub(crate) credit_code: String,
    pub(crate) version: i64,
    pub(crate) canonical: String,
    pub(crate) hash: String,
    pub(crate) changed_fields: Vec<String>,
    pub(crate) mirror: [Option<String>; 6],
}

impl Pending {
    /// Whether this creates the enterprise (version 1) rather than adding a version.
    pub fn is_new(&self) -> bool {
        self.version == 1
    }
}

/// Profiles per bulk step (one lookup of current versions, then the writes).
pub const CHUNK: usize = 500;

/// Rows per multi-row statement. Kept small on purpose: SQLite resolves each `$N` parameter by a
/// linear scan (`sqlite3_bind_parameter_name`), so binding costs grow with the square of the
/// parameter count; 50 rows (≤ 500 parameters) keeps that negligible.
pub(crate) const ROWS_PER_STATEMENT: usize = 50;

const MIRRORED: [&str; 6] = ["name", "region", "town", "park", "chamber", "industry_code"];

/// `$a, $a+1, …` for `n` parameters.
fn params(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Decides what writing `profile` over `current` means; `None` when nothing changed.
pub(crate) fn plan(
    credit_code: &str,
    profile: &Map<String, Value>,
    current: Option<&Current>,
) -> Result<Option<Pending>, StoreError> {
    let text = canonical(profile);
    let hash = content_hash(&text);
    let (version, changed_fields) = match current {
        Some(c) if c.hash == hash => return Ok(None),
        Some(c) => {
            let old = parse_profile(&c.profile)?;
            let mut changed: Vec<String> = profile
                .iter()
                .filter(|(k, v)| old.get(*k).map(canonical_value) != Some(canonical_value(v)))
                .map(|(k, _)| k.clone())
                .collect();
            changed.extend(old.keys().filter(|k| !profile.contains_key(*k)).cloned());
            changed.sort();
            (c.version + 1, changed)
        }
        None => {
            let mut all: Vec<String> = profile.keys().cloned().collect();
            all.sort();
            (1, all)
        }
    };
    let mirror = MIRRORED.map(|f| profile.get(f).and_then(Value::as_str).map(str::to_string));
    Ok(Some(Pending { credit_code: credit_code.to_string(), version, canonical: text, hash, changed_fields, mirror }))
}

pub(crate) fn parse_profile(text: &str) -> Result<Map<String, Value>, StoreError> {
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(StoreError::Corrupt(format!("档案不是JSON对象：{}", text.chars().take(80).collect::<String>()))),
    }
}

/// The current versions of these enterprises (those that exist).
pub(crate) async fn current_versions(conn: &mut AnyConnection, codes: &[&str]) -> Result<HashMap<String, Current>, StoreError> {
    let mut out = HashMap::with_capacity(codes.len());
    for chunk in codes.chunks(ROWS_PER_STATEMENT * 4) {
        let sql = format!(
            "SELECT e.credit_code, e.current_version, v.profile, v.content_hash FROM enterprises e \
             JOIN profile_versions v ON v.credit_code = e.credit_code AND v.version = e.current_version \
             WHERE e.credit_code IN ({})",
            params(1, chunk.len())
        );
        let mut q = sqlx::query::<Any>(AssertSqlSafe(sql));
        for c in chunk {
            q = q.bind(*c);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let code: String = row.try_get(0)?;
            out.insert(code, Current { version: row.try_get(1)?, profile: row.try_get(2)?, hash: row.try_get(3)? });
        }
    }
    Ok(out)
}

/// Writes new versions (and creates or updates their enterprises) in multi-row statements.
pub(crate) async fn write_versions(conn: &mut AnyConnection, rows: &[Pending], change: &Change<'_>) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let values: Vec<String> = (0..chunk.len()).map(|i| format!("({})", params(i * 10 + 1, 10))).collect();
        let sql = format!(
            "INSERT INTO enterprises (credit_code, name, region, town, park, chamber, industry_code, current_version, created_at, updated_at) \
             VALUES {} ON CONFLICT (credit_code) DO UPDATE SET name = excluded.name, region = excluded.region, \
             town = excluded.town, park = excluded.park, chamber = excluded.chamber, industry_code = excluded.industry_code, \
             current_version = excluded.current_version, updated_at = excluded.updated_at",
            values.join(", ")
        );
        let mut q = sqlx::query::<Any>(AssertSqlSafe(sql));
        for p in chunk {
            q = q.bind(p.credit_code.as_str());
            for m in &p.mirror {
                q = q.bind(m.as_deref());
            }
            q = q.bind(p.version).bind(change.at_ms).bind(change.at_ms);
        }
        q.execute(&mut *conn).await?;

        let values: Vec<String> = (0..chunk.len()).map(|i| format!("({})", params(i * 8 + 1, 8))).collect();
        let sql = format!(
            "INSERT INTO profile_versions (credit_code, version, profile, content_hash, changed_fields, changed_by, changed_at, source) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query::<Any>(AssertSqlSafe(sql));
        for p in chunk {
            let changed = Value::from(p.changed_fields.clone()).to_string();
            q = q
                .bind(p.credit_code.as_str())
                .bind(p.version)
                .bind(p.canonical.as_str())
                .bind(p.hash.as_str())
                .bind(changed)
                .bind(change.by)
                .bind(change.at_ms)
                .bind(change.source);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

fn enterprise_from_row(row: &sqlx::any::AnyRow) -> Result<Enterprise, StoreError> {
    let profile: String = row.try_get("profile")?;
    Ok(Enterprise {
        credit_code: row.try_get("credit_code")?,
        version: row.try_get("current_version")?,
        profile: parse_profile(&profile)?,
        content_hash: row.try_get("content_hash")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const SELECT_ENTERPRISE: &str = "SELECT e.credit_code, e.current_version, v.profile, v.content_hash, e.created_at, e.updated_at \
     FROM enterprises e JOIN profile_versions v ON v.credit_code = e.credit_code AND v.version = e.current_version";

impl Store {
    /// Stores a (validated) profile: a new enterprise, a new version, or nothing if unchanged.
    pub async fn put_profile(
        &self,
        credit_code: &str,
        profile: &Map<String, Value>,
        change: &Change<'_>,
    ) -> Result<PutOutcome, StoreError> {
        if let Some(code) = profile.get("credit_code").and_then(Value::as_str)
            && code != credit_code
        {
            return Err(StoreError::BadFile(format!("档案中的统一社会信用代码 {code} 与 {credit_code} 不一致")));
        }
        let mut tx = self.begin_write().await?;
        let current = current_versions(&mut tx, &[credit_code]).await?;
        let cur = current.get(credit_code);
        let outcome = match plan(credit_code, profile, cur)? {
            None => PutOutcome::Unchanged { version: cur.map_or(0, |c| c.version) },
            Some(p) => {
                let outcome = if p.version == 1 { PutOutcome::Created } else { PutOutcome::Updated { version: p.version } };
                write_versions(&mut tx, std::slice::from_ref(&p), change).await?;
                let detail = serde_json::json!({"version": p.version, "source": change.source});
                crate::audit::append_in(&mut tx, change.at_ms, change.by, "profile_update", credit_code, &detail).await?;
                outcome
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// One enterprise with its current profile.
    pub async fn enterprise(&self, credit_code: &str) -> Result<Option<Enterprise>, StoreError> {
        let sql = format!("{SELECT_ENTERPRISE} WHERE e.credit_code = $1");
        let row = sqlx::query::<Any>(AssertSqlSafe(sql)).bind(credit_code.to_string()).fetch_optional(self.pool()).await?;
        row.as_ref().map(enterprise_from_row).transpose()
    }

    /// Every enterprise's name by credit code (those without a name are left out).
    pub async fn enterprise_names(&self) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let rows = sqlx::query("SELECT credit_code, name FROM enterprises WHERE name IS NOT NULL").fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?))).collect()
    }

    /// Enterprises matching the filter, ordered by credit code, with paging.
    pub async fn list_enterprises(
        &self,
        filter: &EnterpriseFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Enterprise>, StoreError> {
        let mut conds = Vec::new();
        let mut binds = Vec::new();
        for (col, v) in [("town", &filter.town), ("park", &filter.park), ("chamber", &filter.chamber)] {
            if let Some(v) = v {
                binds.push(v.clone());
                conds.push(format!("e.{col} = ${}", binds.len()));
            }
        }
        let wh = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        let sql =
            format!("{SELECT_ENTERPRISE}{wh} ORDER BY e.credit_code LIMIT ${} OFFSET ${}", binds.len() + 1, binds.len() + 2);
        let mut q = sqlx::query::<Any>(AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.bind(limit).bind(offset).fetch_all(self.pool()).await?;
        rows.iter().map(enterprise_from_row).collect()
    }

    /// Every version of a profile, oldest first (empty if the enterprise is unknown).
    pub async fn profile_history(&self, credit_code: &str) -> Result<Vec<ProfileVersion>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, profile, content_hash, changed_fields, changed_by, changed_at, source \
             FROM profile_versions WHERE credit_code = $1 ORDER BY version",
        )
        .bind(credit_code.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let profile: String = row.try_get("profile")?;
                let changed: String = row.try_get("changed_fields")?;
                Ok(ProfileVersion {
                    version: row.try_get("version")?,
                    profile: parse_profile(&profile)?,
                    content_hash: row.try_get("content_hash")?,
                    changed_fields: serde_json::from_str(&changed).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    changed_by: row.try_get("changed_by")?,
                    changed_at: row.try_get("changed_at")?,
                    source: row.try_get("source")?,
                })
            })
            .collect()
    }

    /// How many enterprises are stored.
    pub async fn count_enterprises(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM enterprises").fetch_one(self.pool()).await?.try_get(0)?)
    }

    /// How many profile versions are stored (all enterprises).
    pub async fn count_profile_versions(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM profile_versions").fetch_one(self.pool()).await?.try_get(0)?)
    }
}

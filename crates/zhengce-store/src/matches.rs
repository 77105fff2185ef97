//! Match results, keyed by (enterprise, policy, corpus version).
//!
//! Saving a [`MatchReport`] replaces that enterprise's results for that corpus version (a policy no
//! longer in force on the new `as_of` disappears) and records which profile version and date it
//! used. Each result keeps status, amount and the full JSON; the per-policy index serves
//! "policy seeks enterprise".

use serde_json::Value;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Row as _};
use zhengce_model::verdict::{MatchReport, Status};

use crate::profiles::ROWS_PER_STATEMENT;
use crate::{Store, StoreError};

/// One stored result.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMatch {
    /// The enterprise.
    pub credit_code: String,
    /// The policy slug.
    pub policy: String,
    /// The corpus version (`rules_version` of the report).
    pub corpus_version: String,
    /// Position in the report, best first (0-based).
    pub rank: i64,
    /// The verdict.
    pub status: Status,
    /// Estimated benefit in 万元, when computable.
    pub amount_wan: Option<f64>,
    /// The full policy result as JSON (`contracts.md` shape).
    pub result: Value,
}

/// A stored report for one enterprise and corpus version.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchRun {
    /// The enterprise.
    pub credit_code: String,
    /// The corpus version.
    pub corpus_version: String,
    /// The profile version matched.
    pub profile_version: i64,
    /// The date matched against (`YYYY-MM-DD`).
    pub as_of: String,
    /// Derived facts.
    pub derived: Value,
    /// When it was computed (Unix ms).
    pub computed_at: i64,
    /// The results, best first.
    pub results: Vec<StoredMatch>,
}

/// Parses the stable text form of a status.
pub fn parse_status(s: &str) -> Option<Status> {
    [Status::Eligible, Status::Possible, Status::NearMiss, Status::Ineligible].into_iter().find(|st| st.as_str() == s)
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn stored_from_row(row: &sqlx::any::AnyRow) -> Result<StoredMatch, StoreError> {
    let status: String = row.try_get("status")?;
    let result: String = row.try_get("result")?;
    Ok(StoredMatch {
        credit_code: row.try_get("credit_code")?,
        policy: row.try_get("policy")?,
        corpus_version: row.try_get("corpus_version")?,
        rank: row.try_get("rank")?,
        status: parse_status(&status).ok_or_else(|| corrupt(format!("未知状态 {status}")))?,
        amount_wan: row.try_get("amount_wan")?,
        result: serde_json::from_str(&result).map_err(corrupt)?,
    })
}

async fn save_one(conn: &mut AnyConnection, credit_code: &str, report: &MatchReport, at_ms: i64) -> Result<(), StoreError> {
    let version: Option<i64> = sqlx::query("SELECT current_version FROM enterprises WHERE credit_code = $1")
        .bind(credit_code.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    let Some(version) = version else { return Err(StoreError::UnknownEnterprise(credit_code.to_string())) };
    let corpus = report.rules_version.clone();
    sqlx::query("DELETE FROM match_results WHERE credit_code = $1 AND corpus_version = $2")
        .bind(credit_code.to_string())
        .bind(corpus.clone())
        .execute(&mut *conn)
        .await?;
    let derived = serde_json::to_string(&report.derived).map_err(corrupt)?;
    sqlx::query(
        "INSERT INTO match_runs (credit_code, corpus_version, profile_version, as_of, derived, computed_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (credit_code, corpus_version) DO UPDATE SET profile_version = excluded.profile_version, \
         as_of = excluded.as_of, derived = excluded.derived, computed_at = excluded.computed_at",
    )
    .bind(credit_code.to_string())
    .bind(corpus.clone())
    .bind(version)
    .bind(report.as_of.to_string())
    .bind(derived)
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    for (c, chunk) in report.results.chunks(ROWS_PER_STATEMENT).enumerate() {
        // A missing amount is written as a literal NULL, never bound: sqlx 0.9's Any driver sends a
        // NULL `f64` to PostgreSQL typed as float4, and the prepared statement it caches then
        // rejects the next real (float8) amount with "incorrect binary data format".
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        let values: Vec<String> = chunk
            .iter()
            .map(|r| {
                let cols: Vec<String> = (0..5).map(|_| next()).collect();
                let amount = if r.benefit.is_some() { next() } else { "NULL".to_string() };
                format!("({}, {amount}, {})", cols.join(", "), next())
            })
            .collect();
        let sql = format!(
            "INSERT INTO match_results (credit_code, corpus_version, policy, rank, status, amount_wan, result) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query::<Any>(AssertSqlSafe(sql));
        for (i, r) in chunk.iter().enumerate() {
            q = q
                .bind(credit_code.to_string())
                .bind(corpus.clone())
                .bind(r.policy.clone())
                .bind((c * ROWS_PER_STATEMENT + i) as i64)
                .bind(r.status.as_str());
            if let Some(b) = &r.benefit {
                q = q.bind(b.amount_wan);
            }
            q = q.bind(serde_json::to_string(r).map_err(corrupt)?);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

const SELECT_MATCH: &str = "SELECT credit_code, policy, corpus_version, rank, status, amount_wan, result FROM match_results";

impl Store {
    /// Saves the reports of several enterprises in one transaction (all or none).
    pub async fn save_match_reports(&self, reports: &[(&str, &MatchReport)], at_ms: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for (code, report) in reports {
            save_one(&mut tx, code, report, at_ms).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Saves one enterprise's report.
    pub async fn save_match_report(&self, credit_code: &str, report: &MatchReport, at_ms: i64) -> Result<(), StoreError> {
        self.save_match_reports(&[(credit_code, report)], at_ms).await
    }

    /// For every enterprise with a stored report for `corpus_version`: the date it was matched
    /// for and the profile version it was matched on (one query, for deciding what to refresh).
    pub async fn match_run_marks(
        &self,
        corpus_version: &str,
    ) -> Result<std::collections::HashMap<String, (String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT credit_code, as_of, profile_version FROM match_runs WHERE corpus_version = $1")
            .bind(corpus_version.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("credit_code")?, (r.try_get("as_of")?, r.try_get("profile_version")?)))).collect()
    }

    /// The stored report of an enterprise for a corpus version.
    pub async fn match_run(&self, credit_code: &str, corpus_version: &str) -> Result<Option<MatchRun>, StoreError> {
        let Some(run) = sqlx::query(
            "SELECT profile_version, as_of, derived, computed_at FROM match_runs WHERE credit_code = $1 AND corpus_version = $2",
        )
        .bind(credit_code.to_string())
        .bind(corpus_version.to_string())
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        let rows = sqlx::query::<Any>(AssertSqlSafe(format!(
            "{SELECT_MATCH} WHERE credit_code = $1 AND corpus_version = $2 ORDER BY rank"
        )))
        .bind(credit_code.to_string())
        .bind(corpus_version.to_string())
        .fetch_all(self.pool())
        .await?;
        let derived: String = run.try_get("derived")?;
        Ok(Some(MatchRun {
            credit_code: credit_code.to_string(),
            corpus_version: corpus_version.to_string(),
            profile_version: run.try_get("profile_version")?,
            as_of: run.try_get("as_of")?,
            derived: serde_json::from_str(&derived).map_err(corrupt)?,
            computed_at: run.try_get("computed_at")?,
            results: rows.iter().map(stored_from_row).collect::<Result<_, _>>()?,
        }))
    }

    /// The enterprises with one of `statuses` for a policy (all statuses when empty), by credit code.
    pub async fn matches_for_policy(
        &self,
        policy: &str,
        corpus_version: &str,
        statuses: &[Status],
    ) -> Result<Vec<StoredMatch>, StoreError> {
        let mut sql = format!("{SELECT_MATCH} WHERE policy = $1 AND corpus_version = $2");
        if !statuses.is_empty() {
            let ps: Vec<String> = (0..statuses.len()).map(|i| format!("${}", i + 3)).collect();
            sql.push_str(&format!(" AND status IN ({})", ps.join(", ")));
        }
        sql.push_str(" ORDER BY credit_code");
        let mut q = sqlx::query::<Any>(AssertSqlSafe(sql)).bind(policy.to_string()).bind(corpus_version.to_string());
        for s in statuses {
            q = q.bind(s.as_str());
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(stored_from_row).collect()
    }
}

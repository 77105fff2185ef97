//! The append-only audit log.
//!
//! Sequence numbers are gapless and in commit order: each entry takes the next value of
//! `counters('audit_seq')` inside the writing transaction (the counter row lock serialises writers
//! on PostgreSQL; SQLite has one writer anyway). Triggers (migration 2) refuse UPDATE and DELETE,
//! and this module offers no way to change an entry.

use serde_json::Value;
use sqlx::{AnyConnection, Row as _};

use crate::{Store, StoreError};

/// One audit entry.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    /// Gapless sequence number, from 1.
    pub seq: i64,
    /// When (Unix ms).
    pub at_ms: i64,
    /// Who.
    pub actor: String,
    /// What kind of action (`import`, `seed_demo`, `profile_update`, …).
    pub action: String,
    /// What it concerned (a file, a credit code, …).
    pub subject: String,
    /// Details as JSON.
    pub detail: Value,
}

/// Appends an entry inside the caller's transaction; returns its sequence number.
pub(crate) async fn append_in(
    conn: &mut AnyConnection,
    at_ms: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &Value,
) -> Result<i64, StoreError> {
    let seq: i64 = sqlx::query("UPDATE counters SET value = value + 1 WHERE name = 'audit_seq' RETURNING value")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    sqlx::query("INSERT INTO audit_log (seq, at_ms, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(seq)
        .bind(at_ms)
        .bind(actor.to_string())
        .bind(action.to_string())
        .bind(subject.to_string())
        .bind(detail.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

impl Store {
    /// Appends an audit entry in its own transaction; returns its sequence number.
    pub async fn append_audit(
        &self,
        at_ms: i64,
        actor: &str,
        action: &str,
        subject: &str,
        detail: &Value,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let seq = append_in(&mut tx, at_ms, actor, action, subject, detail).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Audit entries with `seq > after`, oldest first, at most `limit`.
    pub async fn audit_log(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows =
            sqlx::query("SELECT seq, at_ms, actor, action, subject, detail FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(after)
                .bind(limit)
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get("detail")?;
                Ok(AuditEntry {
                    seq: r.try_get("seq")?,
                    at_ms: r.try_get("at_ms")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: serde_json::from_str(&detail).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }
}

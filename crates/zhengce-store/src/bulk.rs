//! Bulk profile writes in one transaction, for callers that write many enterprises at once (roster
//! import and demo seeding in `zhengce-roster`): all of it or none of it.
//!
//! The caller looks up the stored versions of a chunk of enterprises ([`BulkWrite::current`]),
//! decides what each new profile means with [`plan`] (`None` when nothing changed), writes the
//! planned versions ([`BulkWrite::write`]), may append an audit entry, and then commits or rolls
//! back. Nothing is visible to other connections before [`BulkWrite::commit`]; a process killed
//! before that leaves the store as it was.

use std::collections::HashMap;

use serde_json::{Map, Value};
use sqlx::{Any, Row as _, Transaction};

use crate::profiles;
use crate::{Change, Store, StoreError, audit};

pub use crate::profiles::{CHUNK, Current, Pending};

/// What writing the (validated) `profile` over the `current` stored version means; `None` when the
/// content is the same.
pub fn plan(credit_code: &str, profile: &Map<String, Value>, current: Option<&Current>) -> Result<Option<Pending>, StoreError> {
    profiles::plan(credit_code, profile, current)
}

/// An open write transaction for bulk profile writes.
pub struct BulkWrite {
    tx: Transaction<'static, Any>,
}

impl Store {
    /// Starts a bulk write (one transaction holding the write lock).
    pub async fn begin_bulk(&self) -> Result<BulkWrite, StoreError> {
        Ok(BulkWrite { tx: self.begin_write().await? })
    }
}

impl BulkWrite {
    /// Whether the store holds any enterprise (as seen inside this transaction).
    pub async fn has_enterprises(&mut self) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM enterprises").fetch_one(&mut *self.tx).await?.try_get(0)?;
        Ok(n > 0)
    }

    /// The current versions of these enterprises (those that exist), by credit code.
    pub async fn current(&mut self, codes: &[&str]) -> Result<HashMap<String, Current>, StoreError> {
        profiles::current_versions(&mut self.tx, codes).await
    }

    /// Writes planned versions (creating or updating their enterprises).
    pub async fn write(&mut self, rows: &[Pending], change: &Change<'_>) -> Result<(), StoreError> {
        profiles::write_versions(&mut self.tx, rows, change).await
    }

    /// Appends an audit entry inside this transaction; returns its sequence number.
    pub async fn append_audit(
        &mut self,
        at_ms: i64,
        actor: &str,
        action: &str,
        subject: &str,
        detail: &Value,
    ) -> Result<i64, StoreError> {
        audit::append_in(&mut self.tx, at_ms, actor, action, subject, detail).await
    }

    /// Makes everything written visible, durably.
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }

    /// Drops everything written.
    pub async fn rollback(self) -> Result<(), StoreError> {
        Ok(self.tx.rollback().await?)
    }
}

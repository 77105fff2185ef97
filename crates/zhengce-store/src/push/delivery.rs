//! Delivery: claims with a lease, outcomes under the lease (fencing), counts, dead letters.

use super::*;

impl Store {
    /// Claims up to `limit` due messages for `worker` until `now_ms + lease_ms`.
    pub async fn claim_messages(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        let lock = if self.backend() == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE push_messages SET lease_owner = $1, lease_until = $2 WHERE id IN (SELECT id FROM push_messages \
             WHERE state = 'pending' AND next_at <= $3 AND (lease_until IS NULL OR lease_until < $3) \
             ORDER BY next_at, id LIMIT $4{lock}) RETURNING id, run_id, channel, recipient, attempts"
        );
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query::<Any>(AssertSqlSafe(sql))
            .bind(worker.to_string())
            .bind(now_ms + lease_ms)
            .bind(now_ms)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut out: Vec<ClaimedMessage> = rows
            .iter()
            .map(|r| {
                Ok(ClaimedMessage {
                    id: r.try_get("id")?,
                    run_id: r.try_get("run_id")?,
                    channel: r.try_get("channel")?,
                    recipient: r.try_get("recipient")?,
                    attempts: r.try_get("attempts")?,
                    notifications: Vec::new(),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        out.sort_by(|a, b| a.id.cmp(&b.id));
        let ids: Vec<String> = out.iter().map(|m| m.id.clone()).collect();
        for n in self.notifications_of(&ids).await? {
            if let Ok(i) = out.binary_search_by(|m| m.id.as_str().cmp(&n.message_id)) {
                out[i].notifications.push(n);
            }
        }
        Ok(out)
    }

    /// The notifications of these messages, by message then key.
    pub async fn notifications_of(&self, message_ids: &[String]) -> Result<Vec<NotificationRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in message_ids.chunks(ROWS_PER_STATEMENT * 4) {
            let sql =
                format!("{SELECT_NOTIFICATION} WHERE n.message_id IN ({}) ORDER BY n.message_id, n.key", list(1, chunk.len()));
            let mut q = sqlx::query::<Any>(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.clone());
            }
            for row in q.fetch_all(self.pool()).await? {
                out.push(notification_from_row(&row)?);
            }
        }
        Ok(out)
    }

    /// Records outcomes of messages claimed by `worker` (only while the claim is still its own).
    /// Returns how many were recorded; an outcome whose lease was lost is ignored.
    pub async fn record_outcomes(&self, worker: &str, at_ms: i64, outcomes: &[(String, Outcome)]) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut recorded = 0;
        let sent: Vec<&String> = outcomes.iter().filter(|(_, o)| *o == Outcome::Sent).map(|(id, _)| id).collect();
        for chunk in sent.chunks(ROWS_PER_STATEMENT * 4) {
            let sql = format!(
                "UPDATE push_messages SET state = 'sent', sent_at = $1, last_error = NULL, lease_owner = NULL, lease_until = NULL \
                 WHERE lease_owner = $2 AND state = 'pending' AND id IN ({})",
                list(3, chunk.len())
            );
            let mut q = sqlx::query::<Any>(AssertSqlSafe(sql)).bind(at_ms).bind(worker.to_string());
            for id in chunk {
                q = q.bind((*id).clone());
            }
            recorded += q.execute(&mut *tx).await?.rows_affected();
        }
        for (id, o) in outcomes {
            let (sql, next_at, error, label) = match o {
                Outcome::Sent => continue,
                Outcome::Retry { next_at, error } => (
                    "UPDATE push_messages SET attempts = attempts + 1, next_at = $1, last_error = $2, lease_owner = NULL, \
                     lease_until = NULL WHERE id = $3 AND lease_owner = $4 AND state = 'pending'",
                    *next_at,
                    error.as_str(),
                    "retry",
                ),
                Outcome::Dead { error } => (
                    "UPDATE push_messages SET attempts = attempts + 1, state = 'dead', next_at = $1, last_error = $2, \
                     lease_owner = NULL, lease_until = NULL WHERE id = $3 AND lease_owner = $4 AND state = 'pending'",
                    at_ms,
                    error.as_str(),
                    "dead",
                ),
                Outcome::Deferred { next_at } => (
                    "UPDATE push_messages SET next_at = $1, last_error = $2, lease_owner = NULL, lease_until = NULL \
                     WHERE id = $3 AND lease_owner = $4 AND state = 'pending'",
                    *next_at,
                    "限流，稍后发送",
                    "deferred",
                ),
            };
            let n = sqlx::query(sql)
                .bind(next_at)
                .bind(error.to_string())
                .bind(id.clone())
                .bind(worker.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            recorded += n;
            if n > 0 {
                sqlx::query("INSERT INTO push_attempts (message_id, at_ms, worker, outcome, detail) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id.clone())
                    .bind(at_ms)
                    .bind(worker.to_string())
                    .bind(label)
                    .bind(error.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for chunk in sent.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO push_attempts (message_id, at_ms, worker, outcome, detail) VALUES {}",
                tuples(chunk.len(), 5)
            );
            let mut q = sqlx::query::<Any>(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind((*id).clone()).bind(at_ms).bind(worker.to_string()).bind("sent").bind("");
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(recorded)
    }

    /// Outbox counts at `now_ms`.
    pub async fn outbox_counts(&self, now_ms: i64) -> Result<OutboxCounts, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM push_messages GROUP BY state").fetch_all(self.pool()).await?;
        let mut c = OutboxCounts::default();
        for r in rows {
            let state: String = r.try_get("state")?;
            let n: i64 = r.try_get("n")?;
            match state.as_str() {
                "pending" => c.pending = n,
                "sent" => c.sent = n,
                "dead" => c.dead = n,
                _ => {}
            }
        }
        c.leased = sqlx::query("SELECT COUNT(*) FROM push_messages WHERE state = 'pending' AND lease_until >= $1")
            .bind(now_ms)
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        Ok(c)
    }

    /// When the next pending message becomes claimable (due and not leased), if any is pending.
    pub async fn next_claimable_at(&self) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_at THEN lease_until + 1 ELSE next_at END) \
             FROM push_messages WHERE state = 'pending'",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?)
    }

    /// Messages in a state (`pending`, `sent`, `dead`), oldest first.
    pub async fn messages(&self, state: &str, limit: i64) -> Result<Vec<MessageInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.run_id, m.channel, m.recipient, m.state, m.attempts, m.last_error, m.sent_at, \
             (SELECT COUNT(*) FROM push_notifications n WHERE n.message_id = m.id) AS notifications \
             FROM push_messages m WHERE m.state = $1 ORDER BY m.created_at, m.id LIMIT $2",
        )
        .bind(state.to_string())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MessageInfo {
                    id: r.try_get("id")?,
                    run_id: r.try_get("run_id")?,
                    channel: r.try_get("channel")?,
                    recipient: r.try_get("recipient")?,
                    state: r.try_get("state")?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                    sent_at: r.try_get("sent_at")?,
                    notifications: r.try_get("notifications")?,
                })
            })
            .collect()
    }

    /// Puts dead letters back in the queue (all of them when `ids` is empty), due at `now_ms`
    /// with a fresh attempt budget; audited. Returns how many.
    pub async fn replay_dead(&self, ids: &[String], now_ms: i64, actor: &str) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let base = "UPDATE push_messages SET state = 'pending', attempts = 0, next_at = $1, lease_owner = NULL, \
                    lease_until = NULL WHERE state = 'dead'";
        let n = if ids.is_empty() {
            sqlx::query(base).bind(now_ms).execute(&mut *tx).await?.rows_affected()
        } else {
            let mut n = 0;
            for chunk in ids.chunks(ROWS_PER_STATEMENT * 4) {
                let sql = format!("{base} AND id IN ({})", list(2, chunk.len()));
                let mut q = sqlx::query::<Any>(AssertSqlSafe(sql)).bind(now_ms);
                for id in chunk {
                    q = q.bind(id.clone());
                }
                n += q.execute(&mut *tx).await?.rows_affected();
            }
            n
        };
        let detail = serde_json::json!({ "messages": n, "ids": ids });
        crate::audit::append_in(&mut tx, now_ms, actor, "push_replay", "dead_letters", &detail).await?;
        tx.commit().await?;
        Ok(n)
    }
}

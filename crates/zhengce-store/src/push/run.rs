//! The change-detection run: one transaction holding the run lock.

use super::*;

/// One change-detection run: an open transaction holding the run lock. Dropping it without
/// [`PushRun::commit`] rolls everything back (that is what `--dry-run` does).
pub struct PushRun {
    tx: Transaction<'static, Any>,
    id: i64,
    started_at: i64,
}

impl Store {
    /// Starts a run: takes the run lock (bumping the `push_run` counter) inside a new transaction.
    pub async fn begin_push_run(&self, at_ms: i64) -> Result<PushRun, StoreError> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query("UPDATE counters SET value = value + 1 WHERE name = 'push_run' RETURNING value")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        Ok(PushRun { tx, id, started_at: at_ms })
    }
}

impl PushRun {
    /// The run id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The run's transaction, for other parts of the store that queue into the same outbox.
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Every channel (inside the run's transaction), for other parts of the store.
    pub(crate) async fn channels_in_run(&mut self) -> Result<Vec<Channel>, StoreError> {
        channels_in(&mut self.tx).await
    }

    /// Up to `limit` enterprises with a credit code after `after` (`""` for the first page), by code.
    pub async fn enterprises_page(&mut self, after: &str, limit: i64) -> Result<Vec<EnterpriseRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.credit_code, e.name, e.town, v.profile FROM enterprises e JOIN profile_versions v \
             ON v.credit_code = e.credit_code AND v.version = e.current_version WHERE e.credit_code > $1 \
             ORDER BY e.credit_code LIMIT $2",
        )
        .bind(after.to_string())
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|row| {
                let profile: String = row.try_get("profile")?;
                Ok(EnterpriseRow {
                    credit_code: row.try_get("credit_code")?,
                    name: row.try_get("name")?,
                    town: row.try_get("town")?,
                    profile: parse_profile(&profile)?,
                })
            })
            .collect()
    }

    /// Standings of enterprises with `after < credit_code <= upto`, by code then policy.
    pub async fn standings_between(&mut self, after: &str, upto: &str) -> Result<Vec<StandingRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT credit_code, policy, policy_version, status, reminded FROM push_standings \
             WHERE credit_code > $1 AND credit_code <= $2 ORDER BY credit_code, policy",
        )
        .bind(after.to_string())
        .bind(upto.to_string())
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StandingRow {
                    credit_code: row.try_get("credit_code")?,
                    policy: row.try_get("policy")?,
                    policy_version: row.try_get("policy_version")?,
                    status: row.try_get("status")?,
                    reminded: row.try_get::<i64, _>("reminded")? != 0,
                })
            })
            .collect()
    }

    /// (enterprise, policy) pairs with recorded uptake (已申报 or 已兑现).
    pub async fn applied(&mut self) -> Result<HashSet<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT credit_code, policy FROM push_uptake").fetch_all(&mut *self.tx).await?;
        rows.iter().map(|r| Ok((r.try_get("credit_code")?, r.try_get("policy")?))).collect()
    }

    /// Every channel.
    pub async fn channels(&mut self) -> Result<Vec<Channel>, StoreError> {
        channels_in(&mut self.tx).await
    }

    /// Registers (or updates) a channel inside the run, e.g. one named on the command line.
    pub async fn put_channel(&mut self, c: &Channel) -> Result<(), StoreError> {
        put_channel_in(&mut self.tx, c, self.started_at).await
    }

    /// Enterprises that unsubscribed.
    pub async fn unsubscribed(&mut self) -> Result<HashSet<String>, StoreError> {
        let rows = sqlx::query("SELECT credit_code FROM push_unsubscribed").fetch_all(&mut *self.tx).await?;
        rows.iter().map(|r| Ok(r.try_get("credit_code")?)).collect()
    }

    /// Writes standings (insert or replace per (enterprise, policy)).
    pub async fn put_standings(&mut self, rows: &[StandingRow]) -> Result<(), StoreError> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO push_standings (credit_code, policy, policy_version, status, reminded, run_id, updated_at) VALUES {} \
                 ON CONFLICT (credit_code, policy) DO UPDATE SET policy_version = excluded.policy_version, \
                 status = excluded.status, reminded = excluded.reminded, run_id = excluded.run_id, updated_at = excluded.updated_at",
                tuples(chunk.len(), 7)
            );
            let mut q = sqlx::query::<Any>(AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.credit_code.clone())
                    .bind(r.policy.clone())
                    .bind(r.policy_version.clone())
                    .bind(r.status.clone())
                    .bind(i64::from(r.reminded))
                    .bind(self.id)
                    .bind(self.started_at);
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Removes standings (the pair became ineligible, or its policy left force).
    pub async fn delete_standings(&mut self, pairs: &[(String, String)]) -> Result<(), StoreError> {
        for chunk in pairs.chunks(ROWS_PER_STATEMENT) {
            let conds: Vec<String> =
                (0..chunk.len()).map(|i| format!("(credit_code = ${} AND policy = ${})", 2 * i + 1, 2 * i + 2)).collect();
            let sql = format!("DELETE FROM push_standings WHERE {}", conds.join(" OR "));
            let mut q = sqlx::query::<Any>(AssertSqlSafe(sql));
            for (code, policy) in chunk {
                q = q.bind(code.clone()).bind(policy.clone());
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Queues notifications (and their messages); a key that exists already is skipped. Returns
    /// the keys actually queued.
    pub async fn enqueue(&mut self, notes: &[NewNotification]) -> Result<Vec<String>, StoreError> {
        let mut seen = HashSet::new();
        let messages: Vec<&NewNotification> = notes.iter().filter(|n| seen.insert(n.message_id.as_str())).collect();
        for chunk in messages.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO push_messages (id, run_id, channel, recipient, state, attempts, next_at, created_at) VALUES {} \
                 ON CONFLICT (id) DO NOTHING",
                tuples(chunk.len(), 8)
            );
            let mut q = sqlx::query::<Any>(AssertSqlSafe(sql));
            for n in chunk {
                q = q
                    .bind(n.message_id.clone())
                    .bind(self.id)
                    .bind(n.channel.clone())
                    .bind(n.recipient.clone())
                    .bind("pending")
                    .bind(0_i64)
                    .bind(self.started_at)
                    .bind(self.started_at);
            }
            q.execute(&mut *self.tx).await?;
        }
        let mut queued = Vec::new();
        for chunk in notes.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO push_notifications (key, credit_code, policy, policy_version, channel, kind, message_id, run_id, \
                 text, detail, created_at) VALUES {} ON CONFLICT DO NOTHING RETURNING key",
                tuples(chunk.len(), 11)
            );
            let mut q = sqlx::query::<Any>(AssertSqlSafe(sql));
            for n in chunk {
                q = q
                    .bind(n.key.clone())
                    .bind(n.credit_code.clone())
                    .bind(n.policy.clone())
                    .bind(n.policy_version.clone())
                    .bind(n.channel.clone())
                    .bind(n.kind.clone())
                    .bind(n.message_id.clone())
                    .bind(self.id)
                    .bind(n.text.clone())
                    .bind(n.detail.to_string())
                    .bind(self.started_at);
            }
            for row in q.fetch_all(&mut *self.tx).await? {
                queued.push(row.try_get("key")?);
            }
        }
        Ok(queued)
    }

    /// Drops messages of this run that got no notification (every key existed already), records
    /// the run and commits.
    pub async fn commit(mut self, as_of: &str, corpus_version: &str, summary: &Value, at_ms: i64) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM push_messages WHERE run_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM push_notifications n WHERE n.message_id = push_messages.id)",
        )
        .bind(self.id)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query(
            "INSERT INTO push_runs (id, as_of, corpus_version, started_at, finished_at, summary) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(self.id)
        .bind(as_of.to_string())
        .bind(corpus_version.to_string())
        .bind(self.started_at)
        .bind(at_ms)
        .bind(summary.to_string())
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// Rolls everything back (dry run).
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }
}

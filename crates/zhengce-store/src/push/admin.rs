//! Channels, unsubscriptions, uptake and the queries behind the push pages.

use super::*;

impl Store {
    /// Every channel, by name.
    pub async fn push_channels(&self) -> Result<Vec<Channel>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        channels_in(&mut conn).await
    }

    /// Adds or updates a channel. URL checks (SSRF) are the caller's (`zhengce-push`).
    pub async fn put_push_channel(&self, c: &Channel, at_ms: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        put_channel_in(&mut tx, c, at_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Subscribes or unsubscribes a channel (what is queued stays deliverable).
    pub async fn set_push_channel_enabled(&self, name: &str, enabled: bool) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE push_channels SET enabled = $1 WHERE name = $2")
            .bind(i64::from(enabled))
            .bind(name.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// An enterprise stops (or, with `false`, resumes) receiving notifications.
    pub async fn set_unsubscribed(
        &self,
        credit_code: &str,
        unsubscribed: bool,
        at_ms: i64,
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        if unsubscribed {
            sqlx::query(
                "INSERT INTO push_unsubscribed (credit_code, at_ms, actor) VALUES ($1, $2, $3) ON CONFLICT (credit_code) DO NOTHING",
            )
            .bind(credit_code.to_string())
            .bind(at_ms)
            .bind(actor.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::UnknownEnterprise(credit_code.to_string()),
                _ => StoreError::Db(e),
            })?;
        } else {
            sqlx::query("DELETE FROM push_unsubscribed WHERE credit_code = $1")
                .bind(credit_code.to_string())
                .execute(&mut *tx)
                .await?;
        }
        crate::audit::append_in(
            &mut tx,
            at_ms,
            actor,
            if unsubscribed { "push_unsubscribe" } else { "push_resubscribe" },
            credit_code,
            &Value::Null,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// Who was notified of a policy: every notification with its delivery state, newest first.
    pub async fn notifications_for_policy(&self, policy: &str, limit: i64) -> Result<Vec<NotificationStatus>, StoreError> {
        let sql = format!("{SELECT_NOTIFICATION_STATE} WHERE n.policy = $1 ORDER BY n.created_at DESC, n.key LIMIT $2");
        let rows = sqlx::query::<Any>(AssertSqlSafe(sql)).bind(policy.to_string()).bind(limit).fetch_all(self.pool()).await?;
        rows.iter().map(status_from_row).collect()
    }

    /// What an enterprise was told: its notifications on every channel, newest first.
    pub async fn notifications_for_enterprise(
        &self,
        credit_code: &str,
        limit: i64,
    ) -> Result<Vec<NotificationStatus>, StoreError> {
        let sql = format!("{SELECT_NOTIFICATION_STATE} WHERE n.credit_code = $1 ORDER BY n.created_at DESC, n.key LIMIT $2");
        let rows =
            sqlx::query::<Any>(AssertSqlSafe(sql)).bind(credit_code.to_string()).bind(limit).fetch_all(self.pool()).await?;
        rows.iter().map(status_from_row).collect()
    }

    /// Whether an enterprise has unsubscribed.
    pub async fn is_unsubscribed(&self, credit_code: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM push_unsubscribed WHERE credit_code = $1")
            .bind(credit_code.to_string())
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        Ok(n > 0)
    }

    /// The most recent change-detection runs (dry runs are rolled back and not kept), newest first.
    pub async fn recent_push_runs(&self, limit: i64) -> Result<Vec<PushRunInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, as_of, corpus_version, started_at, finished_at, summary FROM push_runs ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let summary: String = r.try_get("summary")?;
                Ok(PushRunInfo {
                    id: r.try_get("id")?,
                    as_of: r.try_get("as_of")?,
                    corpus_version: r.try_get("corpus_version")?,
                    started_at: r.try_get("started_at")?,
                    finished_at: r.try_get("finished_at")?,
                    summary: serde_json::from_str(&summary).unwrap_or(Value::Null),
                })
            })
            .collect()
    }

    /// A mark that changes whenever any stored profile changes (an import, an edit through the
    /// API or the self-check, in this process or another): the number of profile versions and the
    /// latest change time. The scheduler in `zhengce serve` compares it between polls.
    pub async fn profiles_mark(&self) -> Result<(i64, i64), StoreError> {
        let row =
            sqlx::query("SELECT COUNT(*), COALESCE(MAX(changed_at), 0) FROM profile_versions").fetch_one(self.pool()).await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// Every notification of one channel, by key (the crash test compares this with what arrived).
    pub async fn notifications_for_channel(&self, channel: &str) -> Result<Vec<NotificationStatus>, StoreError> {
        let sql = format!("{SELECT_NOTIFICATION_STATE} WHERE n.channel = $1 ORDER BY n.key");
        let rows = sqlx::query::<Any>(AssertSqlSafe(sql)).bind(channel.to_string()).fetch_all(self.pool()).await?;
        rows.iter().map(status_from_row).collect()
    }

    /// How many notifications are stored.
    pub async fn count_notifications(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM push_notifications").fetch_one(self.pool()).await?.try_get(0)?)
    }

    /// The stored standings of one enterprise, by policy.
    pub async fn standings_of(&self, credit_code: &str) -> Result<Vec<StandingRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT credit_code, policy, policy_version, status, reminded FROM push_standings WHERE credit_code = $1 ORDER BY policy",
        )
        .bind(credit_code.to_string())
        .fetch_all(self.pool())
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

    /// Records uptake: `applied` (已申报) or `granted` (已兑现, with the amount in 万元); audited.
    /// An officer or the enterprise itself (`actor`) may record it.
    pub async fn record_uptake(
        &self,
        credit_code: &str,
        policy: &str,
        state: &str,
        amount_wan: Option<f64>,
        at_ms: i64,
        actor: &str,
    ) -> Result<(), StoreError> {
        if !matches!(state, "applied" | "granted") {
            return Err(StoreError::Invalid(format!("兑现状态应为 applied（已申报）或 granted（已兑现），实际为 {state}")));
        }
        if amount_wan.is_some_and(|a| !a.is_finite() || a < 0.0) {
            return Err(StoreError::Invalid("兑现金额应为非负数（万元）".into()));
        }
        let mut tx = self.begin_write().await?;
        // A missing amount is a literal NULL, never a bound `Option<f64>` (sqlx Any, PostgreSQL).
        let amount = if amount_wan.is_some() { "$4" } else { "NULL" };
        let (at, by) = if amount_wan.is_some() { ("$5", "$6") } else { ("$4", "$5") };
        let sql = format!(
            "INSERT INTO push_uptake (credit_code, policy, state, amount_wan, at_ms, actor) VALUES ($1, $2, $3, {amount}, {at}, {by}) \
             ON CONFLICT (credit_code, policy) DO UPDATE SET state = excluded.state, amount_wan = excluded.amount_wan, \
             at_ms = excluded.at_ms, actor = excluded.actor"
        );
        let mut q =
            sqlx::query::<Any>(AssertSqlSafe(sql)).bind(credit_code.to_string()).bind(policy.to_string()).bind(state.to_string());
        if let Some(a) = amount_wan {
            q = q.bind(a);
        }
        q.bind(at_ms).bind(actor.to_string()).execute(&mut *tx).await.map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::UnknownEnterprise(credit_code.to_string()),
            _ => StoreError::Db(e),
        })?;
        let detail = serde_json::json!({ "policy": policy, "state": state, "amount_wan": amount_wan });
        crate::audit::append_in(&mut tx, at_ms, actor, "uptake", credit_code, &detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Recorded uptake for a policy (all policies when `None`), by enterprise.
    pub async fn uptake(&self, policy: Option<&str>) -> Result<Vec<Uptake>, StoreError> {
        let base = "SELECT credit_code, policy, state, amount_wan, at_ms, actor FROM push_uptake";
        let rows = match policy {
            Some(p) => {
                sqlx::query::<Any>(AssertSqlSafe(format!("{base} WHERE policy = $1 ORDER BY credit_code")))
                    .bind(p.to_string())
                    .fetch_all(self.pool())
                    .await?
            }
            None => {
                sqlx::query::<Any>(AssertSqlSafe(format!("{base} ORDER BY policy, credit_code"))).fetch_all(self.pool()).await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok(Uptake {
                    credit_code: r.try_get("credit_code")?,
                    policy: r.try_get("policy")?,
                    state: r.try_get("state")?,
                    amount_wan: r.try_get("amount_wan")?,
                    at_ms: r.try_get("at_ms")?,
                    actor: r.try_get("actor")?,
                })
            })
            .collect()
    }
}

const SELECT_NOTIFICATION_STATE: &str = "SELECT n.key, n.credit_code, n.policy, n.policy_version, n.channel, n.kind, \
     n.message_id, n.text, n.detail, n.created_at, m.state, m.sent_at, m.attempts FROM push_notifications n \
     JOIN push_messages m ON m.id = n.message_id";

fn status_from_row(row: &sqlx::any::AnyRow) -> Result<NotificationStatus, StoreError> {
    Ok(NotificationStatus {
        notification: notification_from_row(row)?,
        state: row.try_get("state")?,
        sent_at: row.try_get("sent_at")?,
        attempts: row.try_get("attempts")?,
    })
}

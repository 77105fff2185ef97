//! Batch push: standings, the transactional outbox, delivery claims, channels, unsubscriptions
//! and uptake (migration 4, `migrations/0004_push.sql`).
//!
//! - A change-detection run is one transaction ([`Store::begin_push_run`] → [`PushRun`]): it bumps
//!   the `push_run` counter first (which serialises runs: SQLite takes the write lock, PostgreSQL
//!   locks the counter row), reads standings and profiles, writes the new standings and queues the
//!   notifications, and commits all of it or nothing.
//! - Notifications are keyed by (enterprise, policy, policy version, channel, kind) with a UNIQUE
//!   constraint; queueing is `ON CONFLICT DO NOTHING`, so a re-run or a crash never makes a second
//!   notification for a key. Each notification belongs to a message: the digest of one run for one
//!   recipient on one channel, which is the unit of delivery.
//! - Delivery workers claim due messages with a lease ([`Store::claim_messages`]): PostgreSQL with
//!   `FOR UPDATE SKIP LOCKED` (several workers claim disjoint sets), SQLite inside its single
//!   writer. Outcomes are recorded only while the lease is still the worker's (fencing); a lease a
//!   dead worker left behind expires and the message is claimed again (at-least-once delivery; the
//!   message id is the receiver's idempotency key).
//!
//! Amounts that may be missing are written as a literal NULL, never bound (see `matches.rs`).

use std::collections::HashSet;

use serde_json::{Map, Value};
use sqlx::{Any, AnyConnection, AssertSqlSafe, Row as _, Transaction};

use crate::profiles::{ROWS_PER_STATEMENT, parse_profile};
use crate::{Backend, Store, StoreError};

/// The last standing told for an (enterprise, policy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandingRow {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Policy slug.
    pub policy: String,
    /// Policy version the standing was computed with.
    pub policy_version: String,
    /// `eligible`, `near_miss` or `possible`.
    pub status: String,
    /// Whether the deadline reminder for this version is queued (or was folded into the news).
    pub reminded: bool,
}

/// An enterprise with its current profile, as a run reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct EnterpriseRow {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Name, when known.
    pub name: Option<String>,
    /// 镇街, when known.
    pub town: Option<String>,
    /// The current profile.
    pub profile: Map<String, Value>,
}

/// A delivery channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    /// Unique name (the `channel` part of a notification key).
    pub name: String,
    /// `wecom`, `dingtalk`, `webhook`, `email` or `jsonl`.
    pub kind: String,
    /// Webhook URL, e-mail address or file path.
    pub target: String,
    /// Signing secret (DingTalk, generic webhook); empty when none.
    pub secret: String,
    /// `enterprise`, `town` or `all`.
    pub owner_kind: String,
    /// Credit code, town name, or `*`.
    pub owner: String,
    /// Messages per minute (0 = unlimited).
    pub per_minute: i64,
    /// An admin allowed private, loopback and link-local addresses for this channel.
    pub allow_private: bool,
    /// Subscribed: new notifications are queued for it.
    pub enabled: bool,
}

/// A notification to queue.
#[derive(Clone, Debug, PartialEq)]
pub struct NewNotification {
    /// Hash of (enterprise, policy, policy version, channel, kind).
    pub key: String,
    /// Enterprise.
    pub credit_code: String,
    /// Policy slug.
    pub policy: String,
    /// Policy version.
    pub policy_version: String,
    /// Channel name.
    pub channel: String,
    /// `newly_eligible`, `newly_near_miss`, ….
    pub kind: String,
    /// The message (digest) it belongs to.
    pub message_id: String,
    /// Who the message is for: a credit code or a town.
    pub recipient: String,
    /// Chinese text of this notification.
    pub text: String,
    /// Details as JSON (title, amount, deadline, department, gaps, questions, …).
    pub detail: Value,
}

/// A committed change-detection run.
#[derive(Clone, Debug, PartialEq)]
pub struct PushRunInfo {
    /// Run id.
    pub id: i64,
    /// Date matched against.
    pub as_of: String,
    /// Corpus version.
    pub corpus_version: String,
    /// Unix ms.
    pub started_at: i64,
    /// Unix ms.
    pub finished_at: i64,
    /// The run's summary as JSON (`zhengce_push::RunSummary`).
    pub summary: Value,
}

/// A stored notification.
#[derive(Clone, Debug, PartialEq)]
pub struct NotificationRow {
    /// Key.
    pub key: String,
    /// Enterprise.
    pub credit_code: String,
    /// Policy slug.
    pub policy: String,
    /// Policy version.
    pub policy_version: String,
    /// Channel name.
    pub channel: String,
    /// Kind.
    pub kind: String,
    /// Message id.
    pub message_id: String,
    /// Chinese text.
    pub text: String,
    /// Details.
    pub detail: Value,
    /// When queued (Unix ms).
    pub created_at: i64,
}

/// A message claimed for delivery, with its notifications.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimedMessage {
    /// Message id (the receiver's idempotency key).
    pub id: String,
    /// The run that queued it.
    pub run_id: i64,
    /// Channel name.
    pub channel: String,
    /// Credit code or town.
    pub recipient: String,
    /// Failed attempts so far.
    pub attempts: i64,
    /// Its notifications, by key.
    pub notifications: Vec<NotificationRow>,
}

/// A message as officers see it (delivery state).
#[derive(Clone, Debug, PartialEq)]
pub struct MessageInfo {
    /// Message id.
    pub id: String,
    /// Run.
    pub run_id: i64,
    /// Channel name.
    pub channel: String,
    /// Credit code or town.
    pub recipient: String,
    /// `pending`, `sent` or `dead`.
    pub state: String,
    /// Failed attempts.
    pub attempts: i64,
    /// Last error, if any.
    pub last_error: Option<String>,
    /// When delivered (Unix ms).
    pub sent_at: Option<i64>,
    /// How many notifications it carries.
    pub notifications: i64,
}

/// Who was notified of a policy, when, through which channel, and whether it arrived.
#[derive(Clone, Debug, PartialEq)]
pub struct NotificationStatus {
    /// The notification.
    pub notification: NotificationRow,
    /// Its message's state (`pending`, `sent`, `dead`).
    pub state: String,
    /// When delivered.
    pub sent_at: Option<i64>,
    /// Failed attempts.
    pub attempts: i64,
}

/// Outbox counts by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Messages waiting (including retries not yet due).
    pub pending: i64,
    /// Delivered.
    pub sent: i64,
    /// Dead letters.
    pub dead: i64,
    /// Pending messages whose lease has not run out (being sent, or left by a dead worker).
    pub leased: i64,
}

/// Uptake of a policy by an enterprise.
#[derive(Clone, Debug, PartialEq)]
pub struct Uptake {
    /// Enterprise.
    pub credit_code: String,
    /// Policy slug.
    pub policy: String,
    /// `applied` (已申报) or `granted` (已兑现).
    pub state: String,
    /// Amount granted, in 万元.
    pub amount_wan: Option<f64>,
    /// When recorded.
    pub at_ms: i64,
    /// Who recorded it.
    pub actor: String,
}

/// The outcome of one delivery attempt, as recorded.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Delivered.
    Sent,
    /// Failed; retry at `next_at`.
    Retry {
        /// When to try again (Unix ms).
        next_at: i64,
        /// What went wrong.
        error: String,
    },
    /// Failed for good (permanent error, or attempts exhausted).
    Dead {
        /// What went wrong.
        error: String,
    },
    /// Not attempted (rate limit); try again at `next_at`, no attempt counted.
    Deferred {
        /// When.
        next_at: i64,
    },
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// `($a, …), ($b, …)` for `rows` rows of `cols` parameters, numbered from 1.
fn tuples(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", (1..=cols).map(|c| format!("${}", r * cols + c)).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$a, $a+1, …` for `n` parameters.
fn list(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

fn channel_from_row(row: &sqlx::any::AnyRow) -> Result<Channel, StoreError> {
    Ok(Channel {
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        target: row.try_get("target")?,
        secret: row.try_get("secret")?,
        owner_kind: row.try_get("owner_kind")?,
        owner: row.try_get("owner")?,
        per_minute: row.try_get("per_minute")?,
        allow_private: row.try_get::<i64, _>("allow_private")? != 0,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
    })
}

const SELECT_NOTIFICATION: &str = "SELECT n.key, n.credit_code, n.policy, n.policy_version, n.channel, n.kind, n.message_id, \
     n.text, n.detail, n.created_at FROM push_notifications n";

fn notification_from_row(row: &sqlx::any::AnyRow) -> Result<NotificationRow, StoreError> {
    let detail: String = row.try_get("detail")?;
    Ok(NotificationRow {
        key: row.try_get("key")?,
        credit_code: row.try_get("credit_code")?,
        policy: row.try_get("policy")?,
        policy_version: row.try_get("policy_version")?,
        channel: row.try_get("channel")?,
        kind: row.try_get("kind")?,
        message_id: row.try_get("message_id")?,
        text: row.try_get("text")?,
        detail: serde_json::from_str(&detail).map_err(corrupt)?,
        created_at: row.try_get("created_at")?,
    })
}

async fn channels_in(conn: &mut AnyConnection) -> Result<Vec<Channel>, StoreError> {
    let rows = sqlx::query(
        "SELECT name, kind, target, secret, owner_kind, owner, per_minute, allow_private, enabled FROM push_channels ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(channel_from_row).collect()
}

async fn put_channel_in(conn: &mut AnyConnection, c: &Channel, at_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO push_channels (name, kind, target, secret, owner_kind, owner, per_minute, allow_private, enabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, \
         target = excluded.target, secret = excluded.secret, owner_kind = excluded.owner_kind, owner = excluded.owner, \
         per_minute = excluded.per_minute, allow_private = excluded.allow_private, enabled = excluded.enabled",
    )
    .bind(c.name.clone())
    .bind(c.kind.clone())
    .bind(c.target.clone())
    .bind(c.secret.clone())
    .bind(c.owner_kind.clone())
    .bind(c.owner.clone())
    .bind(c.per_minute)
    .bind(i64::from(c.allow_private))
    .bind(i64::from(c.enabled))
    .bind(at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

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

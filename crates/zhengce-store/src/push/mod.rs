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
//!
//! Here: the row types and shared SQL helpers; `run.rs` the change-detection run (standings and
//! queueing in one transaction), `delivery.rs` claims, outcomes and dead letters, `admin.rs`
//! channels, unsubscriptions, uptake and the queries behind the officers' and enterprises' pages.

use std::collections::HashSet;

use serde_json::{Map, Value};
use sqlx::{Any, AnyConnection, AssertSqlSafe, Row as _, Transaction};

use crate::profiles::{ROWS_PER_STATEMENT, parse_profile};
use crate::{Backend, Store, StoreError};

mod admin;
mod delivery;
mod run;

pub use run::PushRun;

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

//! Delivery workers: claim due messages (with a lease), send them, record each outcome, retry with
//! exponential backoff and jitter, and dead-letter what keeps failing (officers list and replay
//! dead letters through the store).
//!
//! Retries are persisted (`next_at` in the outbox), not slept on in memory, so a crash loses no
//! retry; a message a killed worker had claimed is claimed again once its lease runs out. Per
//! channel, a token bucket enforces `per_minute` (WeCom and DingTalk robots allow about 20 a
//! minute): a message over the limit is deferred without counting an attempt.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use zhengce_model::clock::Clock;
use zhengce_store::Store;
use zhengce_store::push::{Channel, ClaimedMessage, Outcome};

use crate::PushError;
use crate::send::{SendError, Sender, SmtpConfig, write_jsonl};
use crate::ssrf::Guard;

/// How a worker delivers.
#[derive(Clone, Debug)]
pub struct DeliveryConfig {
    /// This worker's name (lease owner); unique per process.
    pub worker: String,
    /// How long a claim lasts (ms); a dead worker's claims are free again after this.
    pub lease_ms: i64,
    /// Messages claimed at once.
    pub batch: i64,
    /// Messages sent concurrently.
    pub concurrency: usize,
    /// Attempts before a message becomes a dead letter.
    pub max_attempts: i64,
    /// First retry delay (ms); doubles with each attempt.
    pub backoff_base_ms: i64,
    /// Longest retry delay (ms).
    pub backoff_cap_ms: i64,
    /// HTTP and SMTP timeout.
    pub timeout: Duration,
    /// Which addresses webhooks may reach.
    pub guard: Guard,
    /// The SMTP relay for e-mail channels.
    pub smtp: Option<SmtpConfig>,
    /// Stop when nothing is claimable and the next due message is further away than this (or
    /// nothing is pending at all); `Duration::ZERO` stops at the first idle moment.
    pub max_wait: Duration,
    /// Stop after this long in any case.
    pub max_run: Duration,
}

impl DeliveryConfig {
    /// Production defaults: 60 s leases, 32 per claim, 8 concurrent sends, 8 attempts, backoff
    /// from 30 s to 1 h, 10 s timeout, private addresses refused, wait up to 2 min for retries.
    pub fn new(worker: impl Into<String>) -> DeliveryConfig {
        DeliveryConfig {
            worker: worker.into(),
            lease_ms: 60_000,
            batch: 32,
            concurrency: 8,
            max_attempts: 8,
            backoff_base_ms: 30_000,
            backoff_cap_ms: 3_600_000,
            timeout: Duration::from_secs(10),
            guard: Guard::default(),
            smtp: None,
            max_wait: Duration::from_secs(120),
            max_run: Duration::from_secs(24 * 3600),
        }
    }
}

/// A worker name unique to this process and moment.
pub fn worker_name(now_ms: i64) -> String {
    let mut r = [0u8; 4];
    let _ = getrandom::fill(&mut r);
    format!("w{}-{now_ms}-{:08x}", std::process::id(), u32::from_le_bytes(r))
}

/// What a delivery loop did.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct DeliveryStats {
    /// Messages delivered.
    pub sent: u64,
    /// Notifications in the delivered messages.
    pub notifications_sent: u64,
    /// Failed attempts that will be retried.
    pub retried: u64,
    /// Messages moved to the dead letters.
    pub dead: u64,
    /// Sends put off by a rate limit.
    pub deferred: u64,
    /// Outcomes not recorded because the lease had run out (another worker owns the message).
    pub lease_lost: u64,
}

/// The delay before retry number `attempt` (1 = first retry): `base·2^(attempt-1)` capped, with
/// "equal jitter" (half fixed, half random) so retries of many messages spread out.
pub fn backoff_ms(attempt: i64, base_ms: i64, cap_ms: i64, random: u32) -> i64 {
    let exp = attempt.clamp(1, 30) - 1;
    let d = base_ms.saturating_mul(1_i64 << exp).min(cap_ms).max(1);
    let half = d / 2;
    half + (i64::from(random) % (d - half + 1))
}

fn random_u32() -> u32 {
    let mut r = [0u8; 4];
    let _ = getrandom::fill(&mut r);
    u32::from_le_bytes(r)
}

/// Token buckets per channel.
#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// Takes a token for `channel` (limit `per_minute`, 0 = none); `Err(ms)` = wait that long.
    pub fn take(&self, channel: &str, per_minute: i64) -> Result<(), i64> {
        if per_minute <= 0 {
            return Ok(());
        }
        let cap = per_minute as f64;
        let rate = cap / 60_000.0;
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (tokens, last) = b.entry(channel.to_string()).or_insert((cap, now));
        *tokens = (*tokens + now.duration_since(*last).as_millis() as f64 * rate).min(cap);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil() as i64)
        }
    }
}

/// Delivers due messages until the queue is idle (see [`DeliveryConfig::max_wait`]).
pub async fn deliver(
    store: &Store,
    cfg: &DeliveryConfig,
    clock: &dyn Clock,
    progress: &mut (dyn FnMut(&DeliveryStats) + Send),
) -> Result<DeliveryStats, PushError> {
    let sender = Arc::new(Sender::new(cfg.guard.clone(), cfg.timeout, cfg.smtp.as_ref()).map_err(PushError::Config)?);
    let limiter = RateLimiter::default();
    let mut stats = DeliveryStats::default();
    let mut channels: HashMap<String, Channel> = HashMap::new();
    let started = Instant::now();
    loop {
        if started.elapsed() > cfg.max_run {
            break;
        }
        let now = clock.now_ms();
        let claimed = store.claim_messages(&cfg.worker, now, cfg.lease_ms, cfg.batch).await?;
        if claimed.is_empty() {
            match store.next_claimable_at().await? {
                None => break,
                Some(t) => {
                    let wait = (t - clock.now_ms()).max(0);
                    if Duration::from_millis(wait as u64) > cfg.max_wait {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(wait.clamp(10, 500) as u64)).await;
                    continue;
                }
            }
        }
        if claimed.iter().any(|m| !channels.contains_key(&m.channel)) {
            channels = store.push_channels().await?.into_iter().map(|c| (c.name.clone(), c)).collect();
        }
        let mut outcomes: Vec<(String, Outcome)> = Vec::new();
        let mut sizes: HashMap<String, u64> = HashMap::new();
        let mut jsonl: Vec<(&Channel, &ClaimedMessage)> = Vec::new();
        let mut tasks = tokio::task::JoinSet::new();
        let mut results: Vec<(String, i64, Result<(), SendError>)> = Vec::new();
        let semaphore = Arc::new(tokio::sync::Semaphore::new(cfg.concurrency.max(1)));
        for m in &claimed {
            sizes.insert(m.id.clone(), m.notifications.len() as u64);
            let Some(ch) = channels.get(&m.channel) else {
                results.push((m.id.clone(), m.attempts, Err(SendError::Permanent(format!("渠道 {} 不存在", m.channel)))));
                continue;
            };
            if let Err(wait) = limiter.take(&ch.name, ch.per_minute) {
                outcomes.push((m.id.clone(), Outcome::Deferred { next_at: clock.now_ms() + wait }));
                stats.deferred += 1;
                continue;
            }
            if ch.kind == "jsonl" {
                jsonl.push((ch, m));
                continue;
            }
            let (sender, ch, m, permit) = (sender.clone(), ch.clone(), m.clone(), semaphore.clone());
            let now_ms = clock.now_ms();
            tasks.spawn(async move {
                let _permit = permit.acquire_owned().await;
                let r = sender.send(&ch, &m, now_ms).await;
                (m.id, m.attempts, r)
            });
        }
        for (id, r) in write_jsonl(&jsonl) {
            let attempts = claimed.iter().find(|m| m.id == id).map_or(0, |m| m.attempts);
            results.push((id, attempts, r));
        }
        // Rate-limit deferrals, unknown channels and JSONL files are recorded together; each HTTP
        // or SMTP send is recorded as soon as it returns, so a crash forgets at most the sends in
        // flight (the window for duplicates is `concurrency`, not the claim size).
        outcomes.extend(results.drain(..).map(|(id, attempts, r)| (id, classify(cfg, clock.now_ms(), attempts, r))));
        record(store, cfg, clock, &outcomes, &sizes, &mut stats).await?;
        while let Some(joined) = tasks.join_next().await {
            let (id, attempts, r) = joined.map_err(|e| PushError::Internal(format!("发送任务异常：{e}")))?;
            let one = [(id, classify(cfg, clock.now_ms(), attempts, r))];
            record(store, cfg, clock, &one, &sizes, &mut stats).await?;
            progress(&stats);
        }
        progress(&stats);
    }
    Ok(stats)
}

/// What a send's result means for the outbox.
fn classify(cfg: &DeliveryConfig, now: i64, attempts: i64, r: Result<(), SendError>) -> Outcome {
    match r {
        Ok(()) => Outcome::Sent,
        Err(SendError::Permanent(error)) => Outcome::Dead { error },
        Err(SendError::Retry(error)) if attempts + 1 >= cfg.max_attempts => {
            Outcome::Dead { error: format!("已尝试 {} 次：{error}", attempts + 1) }
        }
        Err(SendError::Retry(error)) => Outcome::Retry {
            next_at: now + backoff_ms(attempts + 1, cfg.backoff_base_ms, cfg.backoff_cap_ms, random_u32()),
            error,
        },
    }
}

/// Records outcomes (only while the leases are still this worker's) and counts them.
async fn record(
    store: &Store,
    cfg: &DeliveryConfig,
    clock: &dyn Clock,
    outcomes: &[(String, Outcome)],
    sizes: &HashMap<String, u64>,
    stats: &mut DeliveryStats,
) -> Result<(), PushError> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let recorded = store.record_outcomes(&cfg.worker, clock.now_ms(), outcomes).await?;
    stats.lease_lost += (outcomes.len() as u64).saturating_sub(recorded);
    for (id, o) in outcomes {
        match o {
            Outcome::Sent => {
                stats.sent += 1;
                stats.notifications_sent += sizes.get(id).copied().unwrap_or(0);
            }
            Outcome::Retry { .. } => stats.retried += 1,
            Outcome::Dead { .. } => stats.dead += 1,
            Outcome::Deferred { .. } => {}
        }
    }
    Ok(())
}

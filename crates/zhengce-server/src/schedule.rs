//! The push scheduler of `zhengce serve`: change detection and delivery without anyone asking.
//!
//! A run (`zhengce_push::run_once`: detect, queue in the outbox, deliver) starts when the
//! *watermark* changes — the date (China time, shifted by the daily run's minutes after midnight),
//! the served corpus version, or the store's profile mark (any import or edit, also by another
//! process such as `zhengce import`) — and when something in this process calls
//! [`PushScheduler::wake`] (profile edits, corpus reloads, the console's "run now" button). Between
//! runs it polls every `poll` for the watermark and for retries that have become due.
//!
//! Runs are serialised (one task) and idempotent: the outbox's keys make a run with nothing
//! changed queue nothing, so a spurious wake costs one pass over the roster and tells no one.

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Notify;
use zhengce_push::{DeliveryConfig, DeliveryStats, RunOptions, RunSummary};

use crate::AppState;

/// Settings of the scheduler.
#[derive(Clone, Debug)]
pub struct ScheduleConfig {
    /// Minutes after midnight China time when the daily run is due (default 30: 00:30).
    pub daily_minutes: i64,
    /// How often the watermark and due retries are checked.
    pub poll: Duration,
    /// After a wake, how long to wait for more changes before running (edits come in bursts).
    pub debounce: Duration,
    /// How delivery runs (worker name, leases, retries, SMTP, SSRF guard).
    pub delivery: DeliveryConfig,
}

impl ScheduleConfig {
    /// Defaults: daily at 00:30 China time, polling every minute, 3 s debounce, production delivery
    /// settings that stop at the first idle moment (retries are picked up by later polls).
    pub fn new(worker: impl Into<String>) -> ScheduleConfig {
        let mut delivery = DeliveryConfig::new(worker);
        delivery.max_wait = Duration::ZERO;
        ScheduleConfig { daily_minutes: 30, poll: Duration::from_secs(60), debounce: Duration::from_secs(3), delivery }
    }
}

/// What the console shows about the scheduler.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScheduleStatus {
    /// Whether a scheduler task runs in this process.
    pub running: bool,
    /// A run is in progress.
    pub busy: bool,
    /// Unix ms of the next daily run.
    pub next_daily_ms: Option<i64>,
    /// The last run, when there was one since the service started.
    pub last: Option<LastRun>,
    /// Runs since the service started.
    pub runs: u64,
}

/// One finished scheduled run.
#[derive(Clone, Debug, Serialize)]
pub struct LastRun {
    /// Why it ran (`启动`, `每日定时`, `企业信息变更`, `政策库更新`, `手动`, …).
    pub trigger: String,
    /// Unix ms when it started.
    pub started_ms: i64,
    /// Unix ms when it ended.
    pub finished_ms: i64,
    /// Change detection's summary.
    pub summary: Option<RunSummary>,
    /// Delivery's counts.
    pub delivery: Option<DeliveryStats>,
    /// What went wrong (Chinese), if anything.
    pub error: Option<String>,
}

/// The handle the service keeps: wakes the scheduler and reads its status.
#[derive(Debug, Default)]
pub struct PushScheduler {
    wake: Notify,
    reason: Mutex<Option<String>>,
    status: Mutex<ScheduleStatus>,
}

impl PushScheduler {
    /// Asks for a run soon (after the debounce), saying why. Without a running scheduler this only
    /// records the wish; nothing runs.
    pub fn wake(&self, why: &str) {
        if let Ok(mut r) = self.reason.lock() {
            *r = Some(why.to_string());
        }
        self.wake.notify_one();
    }

    /// The scheduler's status now.
    pub fn status(&self) -> ScheduleStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut ScheduleStatus)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    fn take_reason(&self) -> Option<String> {
        self.reason.lock().ok().and_then(|mut r| r.take())
    }
}

/// What, when it changes, calls for a run.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Watermark {
    day: i64,
    corpus: String,
    profiles: (i64, i64),
}

const DAY_MS: i64 = 86_400_000;
const CHINA_MS: i64 = 8 * 3_600_000;

/// The schedule day of `now_ms`: days since the epoch in China time, counted from the daily run's
/// time (so the day turns at 00:30 with the default, not at midnight).
fn schedule_day(now_ms: i64, daily_minutes: i64) -> i64 {
    (now_ms + CHINA_MS - daily_minutes.clamp(0, 24 * 60 - 1) * 60_000).div_euclid(DAY_MS)
}

/// Starts the scheduler on the current tokio runtime. Needs a store; returns `None` without one.
pub fn spawn(state: AppState, cfg: ScheduleConfig) -> Option<tokio::task::JoinHandle<()>> {
    state.store.as_ref()?;
    state.push.update(|s| s.running = true);
    Some(tokio::spawn(run_loop(state, cfg)))
}

async fn watermark(state: &AppState, cfg: &ScheduleConfig) -> Result<Watermark, String> {
    let store = state.store.as_ref().ok_or("没有数据库")?;
    let profiles = store.profiles_mark().await.map_err(|e| e.to_string())?;
    Ok(Watermark {
        day: schedule_day(state.clock.now_ms(), cfg.daily_minutes),
        corpus: state.corpus().snapshot.version().to_string(),
        profiles,
    })
}

async fn run_loop(state: AppState, cfg: ScheduleConfig) {
    let mut last: Option<Watermark> = None;
    let mut trigger = "启动".to_string();
    loop {
        let now = state.clock.now_ms();
        let until_daily = zhengce_push::ms_until_daily_run(now, cfg.daily_minutes);
        state.push.update(|s| s.next_daily_ms = Some(now + until_daily));
        match watermark(&state, &cfg).await {
            Ok(mark) => {
                if last.as_ref() != Some(&mark) {
                    if let Some(prev) = &last {
                        trigger = if prev.day != mark.day {
                            "每日定时".into()
                        } else if prev.corpus != mark.corpus {
                            "政策库更新".into()
                        } else {
                            "企业信息变更".into()
                        };
                    }
                    run(&state, &cfg, &trigger).await;
                    // The mark after the run: the run itself changes no profile.
                    last = Some(mark);
                } else {
                    deliver_due(&state, &cfg).await;
                }
            }
            Err(e) => tracing::warn!("push scheduler: reading the watermark: {e}"),
        }
        let sleep = cfg.poll.min(Duration::from_millis(u64::try_from(until_daily).unwrap_or(0).max(1)));
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            () = state.push.wake.notified() => {
                tokio::time::sleep(cfg.debounce).await;
                trigger = state.push.take_reason().unwrap_or_else(|| "手动".into());
                // A wake always runs, even when the watermark looks the same (a manual run).
                last = None;
            }
        }
    }
}

/// Delivers what has become due (retries) between runs.
async fn deliver_due(state: &AppState, cfg: &ScheduleConfig) {
    let Some(store) = state.store.as_ref() else { return };
    match store.next_claimable_at().await {
        Ok(Some(at)) if at <= state.clock.now_ms() => {
            if let Err(e) = zhengce_push::deliver_pending(store, &cfg.delivery, state.clock.as_ref(), &mut |_| {}).await {
                tracing::warn!("push scheduler: delivering retries: {e}");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("push scheduler: {e}"),
    }
}

async fn run(state: &AppState, cfg: &ScheduleConfig, trigger: &str) {
    let Some(store) = state.store.as_ref() else { return };
    let started_ms = state.clock.now_ms();
    state.push.update(|s| s.busy = true);
    let corpus = state.corpus();
    let opts = RunOptions::new(state.clock.today());
    let outcome = zhengce_push::run_once(store, &corpus.snapshot, state.clock.as_ref(), &opts, Some(&cfg.delivery)).await;
    let finished_ms = state.clock.now_ms();
    let last = match outcome {
        Ok((summary, delivery)) => {
            tracing::info!(
                trigger,
                enterprises = summary.enterprises,
                queued = summary.notifications_queued,
                sent = delivery.map_or(0, |d| d.sent),
                "push run"
            );
            LastRun { trigger: trigger.into(), started_ms, finished_ms, summary: Some(summary), delivery, error: None }
        }
        Err(e) => {
            tracing::error!(trigger, "push run failed: {e}");
            LastRun {
                trigger: trigger.into(),
                started_ms,
                finished_ms,
                summary: None,
                delivery: None,
                error: Some(e.to_string()),
            }
        }
    };
    state.push.update(|s| {
        s.busy = false;
        s.runs += 1;
        s.last = Some(last);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_day_turns_at_the_daily_time_china_time() {
        // 2026-01-01 00:29 China = 2025-12-31 16:29 UTC.
        let base = 1_767_225_600_000_i64; // 2026-01-01 00:00 UTC
        let at = |h: i64, m: i64| base - CHINA_MS + h * 3_600_000 + m * 60_000;
        assert_eq!(schedule_day(at(0, 29), 30) + 1, schedule_day(at(0, 30), 30));
        assert_eq!(schedule_day(at(0, 30), 30), schedule_day(at(23, 59), 30));
        assert_eq!(schedule_day(at(0, 0), 0), schedule_day(at(23, 59), 0));
    }
}

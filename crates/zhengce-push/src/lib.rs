//! zhengce-push: batch push — "the policy seeks the enterprise" at scale.
//!
//! - [`detect`]: change detection. A run matches every stored enterprise against every policy in
//!   force (rayon, status-only), compares with the last stored standing, and writes the new
//!   standings and the notifications in one transaction (the outbox in `zhengce-store`), keyed by
//!   (enterprise, policy, policy version, channel, kind) so nothing is ever queued twice.
//! - [`deliver`]: workers that claim due messages with a lease, send, record the outcome, retry
//!   with exponential backoff and jitter, dead-letter after N attempts; per-channel rate limits.
//! - [`send`]: the channels — WeCom and DingTalk robots (signed), a generic JSON webhook
//!   (HMAC-SHA256, `Idempotency-Key`), e-mail over SMTP (lettre), JSONL files.
//! - [`ssrf`]: user-entered webhook URLs never reach private, loopback or link-local addresses
//!   (checked on the literal, after DNS resolution and on redirects) unless an admin allows them.
//! - [`message`]: the Chinese texts and digests (one per enterprise per run, one per town for officers).
//! - [`receiver`]: a small local HTTP receiver (tests and the crash harness).
//!
//! [`run_once`] is what `zhengce push` and the scheduler in `zhengce serve` call: detect, then
//! (optionally) deliver. Time comes from the `Clock` handed in.

pub mod deliver;
pub mod detect;
pub mod message;
pub mod receiver;
pub mod send;
pub mod ssrf;

use serde::Serialize;
use zhengce_engine::Snapshot;
use zhengce_model::clock::Clock;
use zhengce_store::push::Channel;
use zhengce_store::{Store, StoreError};

pub use deliver::{DeliveryConfig, DeliveryStats, deliver as deliver_pending};
pub use detect::{PolicyImpact, RunOptions, RunSummary, detect as detect_changes};
pub use send::SmtpConfig;
pub use ssrf::Guard;

/// What changed for an (enterprise, policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Now eligible.
    NewlyEligible,
    /// Now a near miss (with the gap).
    NewlyNearMiss,
    /// Now possible (with the questions).
    NewlyPossible,
    /// Was eligible, is not any more.
    NoLongerEligible,
    /// Eligible, not applied, deadline close.
    DeadlineApproaching,
    /// The policy left force.
    NoLongerInForce,
}

impl ChangeKind {
    /// Every kind.
    pub const ALL: [ChangeKind; 6] = [
        ChangeKind::NewlyEligible,
        ChangeKind::NewlyNearMiss,
        ChangeKind::NewlyPossible,
        ChangeKind::NoLongerEligible,
        ChangeKind::DeadlineApproaching,
        ChangeKind::NoLongerInForce,
    ];

    /// The stable text form (in keys, JSONL and the store).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::NewlyEligible => "newly_eligible",
            ChangeKind::NewlyNearMiss => "newly_near_miss",
            ChangeKind::NewlyPossible => "newly_possible",
            ChangeKind::NoLongerEligible => "no_longer_eligible",
            ChangeKind::DeadlineApproaching => "deadline_approaching",
            ChangeKind::NoLongerInForce => "no_longer_in_force",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::NewlyEligible => "新符合条件",
            ChangeKind::NewlyNearMiss => "新出现差一点符合",
            ChangeKind::NewlyPossible => "新出现可能符合",
            ChangeKind::NoLongerEligible => "不再符合",
            ChangeKind::DeadlineApproaching => "申报即将截止",
            ChangeKind::NoLongerInForce => "政策到期",
        }
    }
}

/// Everything that can go wrong in a push run.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A channel or delivery setting is unusable (user error).
    #[error("{0}")]
    Config(String),
    /// Something that should not happen.
    #[error("内部错误：{0}")]
    Internal(String),
}

impl PushError {
    /// Whether the user can fix it (exit status 2).
    pub fn is_user_error(&self) -> bool {
        match self {
            PushError::Store(e) => e.is_user_error(),
            PushError::Config(_) => true,
            PushError::Internal(_) => false,
        }
    }
}

/// Default per-minute limits: robots allow about 20 messages a minute.
pub fn default_per_minute(kind: &str) -> i64 {
    match kind {
        "wecom" | "dingtalk" => 20,
        "email" => 60,
        "webhook" => 600,
        _ => 0,
    }
}

/// Parses a `--channel` value for one run: `jsonl:PATH` (every enterprise's notifications to a
/// file; registered but not subscribed, so later runs without the flag do not use it).
pub fn parse_channel_spec(spec: &str) -> Result<Channel, PushError> {
    let Some((kind, rest)) = spec.split_once(':') else {
        return Err(PushError::Config(format!("渠道格式应为 jsonl:路径，实际为 {spec}")));
    };
    match kind {
        "jsonl" if !rest.is_empty() => {
            let path = std::path::absolute(rest).map_err(|e| PushError::Config(format!("路径无效 {rest}：{e}")))?;
            let path = path.display().to_string();
            Ok(Channel {
                name: format!("jsonl:{path}"),
                kind: "jsonl".into(),
                target: path,
                secret: String::new(),
                owner_kind: "all".into(),
                owner: "*".into(),
                per_minute: 0,
                allow_private: false,
                enabled: false,
            })
        }
        _ => Err(PushError::Config(format!("命令行只支持 jsonl:路径 渠道，实际为 {spec}（其他渠道请在系统中配置）"))),
    }
}

/// A channel an enterprise or an officer asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelRequest {
    /// Unique name.
    pub name: String,
    /// `wecom`, `dingtalk`, `webhook`, `email` or `jsonl` (admins only).
    pub kind: String,
    /// URL, e-mail address or path.
    pub target: String,
    /// Signing secret (DingTalk, webhook).
    pub secret: String,
    /// `enterprise` (owner = credit code), `town` (owner = town or `*`) or `all` (admins only).
    pub owner_kind: String,
    /// Owner.
    pub owner: String,
    /// Per-minute limit; `None` = the default for the kind.
    pub per_minute: Option<i64>,
}

/// Validates and stores a channel. Webhook URLs are checked against SSRF (`guard`, plus
/// `allow_private` which only an admin may set); JSONL files and `all` channels are for admins.
pub async fn add_channel(
    store: &Store,
    req: &ChannelRequest,
    guard: &Guard,
    admin: bool,
    allow_private: bool,
    at_ms: i64,
) -> Result<Channel, PushError> {
    if req.name.trim().is_empty() {
        return Err(PushError::Config("渠道名称不能为空".into()));
    }
    if allow_private && !admin {
        return Err(PushError::Config("只有管理员可以允许内网地址".into()));
    }
    match req.kind.as_str() {
        "wecom" | "dingtalk" | "webhook" => {
            let g = if allow_private { Guard::open() } else { guard.clone() };
            g.check_url(&req.target).map_err(PushError::Config)?;
        }
        "email" => {
            req.target.parse::<lettre::message::Mailbox>().map_err(|e| PushError::Config(format!("邮箱地址无效：{e}")))?;
        }
        "jsonl" if admin => {}
        other => return Err(PushError::Config(format!("不支持的渠道类型 {other}"))),
    }
    match req.owner_kind.as_str() {
        "enterprise" | "town" => {}
        "all" if admin => {}
        other => return Err(PushError::Config(format!("不支持的接收方类型 {other}"))),
    }
    let c = Channel {
        name: req.name.trim().to_string(),
        kind: req.kind.clone(),
        target: req.target.trim().to_string(),
        secret: req.secret.clone(),
        owner_kind: req.owner_kind.clone(),
        owner: req.owner.clone(),
        per_minute: req.per_minute.unwrap_or_else(|| default_per_minute(&req.kind)),
        allow_private,
        enabled: true,
    };
    store.put_push_channel(&c, at_ms).await?;
    Ok(c)
}

/// Milliseconds from `now_ms` until the next daily run, `minutes_after_midnight` past midnight
/// China time (UTC+8). `zhengce serve` sleeps this long (or until an import or corpus change wakes
/// it), then calls [`run_once`] with `clock.today()`.
pub fn ms_until_daily_run(now_ms: i64, minutes_after_midnight: i64) -> i64 {
    const DAY: i64 = 86_400_000;
    let offset = 8 * 3_600_000 + minutes_after_midnight.clamp(0, 24 * 60 - 1) * 60_000;
    let since = (now_ms + 8 * 3_600_000).rem_euclid(DAY);
    let target = offset - 8 * 3_600_000;
    let wait = (target - since).rem_euclid(DAY);
    if wait == 0 { DAY } else { wait }
}

/// One scheduled or command-line run: change detection, then delivery of everything due (unless
/// a dry run or `delivery` is `None`).
pub async fn run_once(
    store: &Store,
    snapshot: &Snapshot,
    clock: &dyn Clock,
    opts: &RunOptions,
    delivery: Option<&DeliveryConfig>,
) -> Result<(RunSummary, Option<DeliveryStats>), PushError> {
    let summary = detect::detect(store, snapshot, opts, clock.now_ms(), &mut |_| {}).await?;
    let stats = match delivery {
        Some(cfg) if !opts.dry_run => Some(deliver::deliver(store, cfg, clock, &mut |_| {}).await?),
        _ => None,
    };
    Ok((summary, stats))
}

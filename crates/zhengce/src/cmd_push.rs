//! `zhengce push`: one change-detection run over every stored enterprise, then delivery of the
//! queued notifications (`zhengce_push`). `--dry-run` shows the impact per policy and writes
//! nothing. A progress bar and a Chinese summary go to stderr, a JSON summary to stdout.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use zhengce_model::Date;
use zhengce_model::clock::Clock as _;
use zhengce_push::deliver::worker_name;
use zhengce_push::{ChangeKind, DeliveryConfig, PushError, RunOptions, SmtpConfig};
use zhengce_store::Store;

use crate::clock::SystemClock;
use crate::corpus::{self, CorpusArgs};
use crate::exit::bad_input;

/// Flags of `zhengce push`.
#[derive(clap::Args, Debug)]
pub struct PushArgs {
    /// Show per policy how many enterprises change standing and to what; write and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The date to match against (default: today, China time).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub at: Option<Date>,
    /// The store: an SQLite file path, sqlite:///path.db or postgres://user:pass@host/db.
    #[arg(long, value_name = "URL", env = "ZHENGCE_DB", default_value_t = zhengce_store::default_db_url())]
    pub db: String,
    /// Also deliver this run's notifications here (`jsonl:PATH`: one JSON object per line).
    #[arg(long, value_name = "jsonl:PATH")]
    pub channel: Vec<String>,
    /// Only deliver what is queued (no change detection).
    #[arg(long)]
    pub deliver_only: bool,
    /// Only detect and queue (no delivery).
    #[arg(long, conflicts_with = "deliver_only")]
    pub no_deliver: bool,
    /// List dead letters and exit.
    #[arg(long)]
    pub dead_letters: bool,
    /// Put every dead letter back in the queue, then deliver.
    #[arg(long)]
    pub replay_dead: bool,
    /// Concurrent sends.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Messages claimed at once (keep `batch / concurrency × timeout` under the lease).
    #[arg(long, default_value_t = 32)]
    pub batch: i64,
    /// Claim lease in seconds (a killed worker's claims are free again after this).
    #[arg(long, default_value_t = 60)]
    pub lease_secs: i64,
    /// HTTP/SMTP timeout in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// First retry delay in milliseconds (doubles per attempt, with jitter, up to one hour).
    #[arg(long, default_value_t = 30_000)]
    pub backoff_ms: i64,
    /// Attempts before a message becomes a dead letter.
    #[arg(long, default_value_t = 8)]
    pub max_attempts: i64,
    /// Wait at most this long for retries that are not yet due before exiting (they stay queued).
    #[arg(long, default_value_t = 120)]
    pub max_wait_secs: u64,
    /// SMTP relay for e-mail channels (smtp://host:port or smtps://host).
    #[arg(long, env = "ZHENGCE_SMTP_URL")]
    pub smtp: Option<String>,
    /// Sender address for e-mail.
    #[arg(long, env = "ZHENGCE_SMTP_FROM", default_value = "政策找企业 <push@localhost>")]
    pub smtp_from: String,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub corpus: CorpusArgs,
}

fn push_error(e: PushError) -> anyhow::Error {
    if e.is_user_error() { bad_input(e.to_string()) } else { anyhow::Error::new(e) }
}

fn bar(quiet: bool, template: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}

/// Runs `zhengce push`.
#[allow(clippy::print_stderr)]
pub fn run(args: &PushArgs) -> anyhow::Result<i32> {
    let clock = SystemClock;
    let as_of = args.at.unwrap_or_else(|| clock.today());
    let extra =
        args.channel.iter().map(|s| zhengce_push::parse_channel_spec(s)).collect::<Result<Vec<_>, _>>().map_err(push_error)?;
    let smtp = args.smtp.as_deref().map(|u| SmtpConfig::parse(u, &args.smtp_from)).transpose().map_err(bad_input)?;
    let loaded = if args.deliver_only || args.dead_letters { None } else { Some(corpus::load_clean(&args.corpus)?) };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let store = Store::open(&args.db).await.map_err(|e| push_error(e.into()))?;
        if args.dead_letters {
            let dead = store.messages("dead", 1000).await.map_err(|e| push_error(e.into()))?;
            for m in &dead {
                eprintln!(
                    "{}  渠道 {}  接收方 {}  {} 条通知  尝试 {} 次  {}",
                    m.id,
                    m.channel,
                    m.recipient,
                    m.notifications,
                    m.attempts,
                    m.last_error.as_deref().unwrap_or("")
                );
            }
            eprintln!("死信共 {} 条", dead.len());
            let list: Vec<_> = dead
                .iter()
                .map(|m| {
                    json!({"id": m.id, "channel": m.channel, "recipient": m.recipient,
                "attempts": m.attempts, "error": m.last_error})
                })
                .collect();
            crate::out::line(&json!({"dead_letters": list}).to_string());
            store.close().await;
            return Ok(0);
        }
        if args.replay_dead {
            let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
            let n = store.replay_dead(&[], clock.now_ms(), &format!("cli:{user}")).await.map_err(|e| push_error(e.into()))?;
            eprintln!("已将 {n} 条死信重新排队");
        }
        let mut summary = None;
        if let Some(loaded) = &loaded {
            let mut opts = RunOptions::new(as_of);
            opts.dry_run = args.dry_run;
            opts.extra_channels = extra;
            let total = store.count_enterprises().await.map_err(|e| push_error(e.into()))?;
            let pb = bar(args.quiet, "匹配 {bar:40} {pos}/{len} 家 {per_sec} 预计剩余 {eta}");
            pb.set_length(total as u64);
            let s = zhengce_push::detect_changes(&store, &loaded.snapshot, &opts, clock.now_ms(), &mut |n| pb.set_position(n))
                .await
                .map_err(push_error)?;
            pb.finish_and_clear();
            report_run(&s);
            summary = Some(s);
        }
        if !args.dry_run {
            // Overdue requests (诉求) go to their dispatchers through the same outbox.
            let escalated = store.escalate_overdue(as_of, clock.now_ms()).await.map_err(|e| push_error(e.into()))?;
            if !escalated.is_empty() {
                eprintln!("诉求督办：{} 条诉求已超期，已排队通知派单人", escalated.len());
            }
        }
        let mut stats = None;
        if !args.dry_run && !args.no_deliver {
            let mut cfg = DeliveryConfig::new(worker_name(clock.now_ms()));
            cfg.concurrency = args.concurrency.max(1);
            cfg.batch = args.batch.max(1);
            cfg.lease_ms = args.lease_secs.max(1) * 1000;
            cfg.timeout = Duration::from_millis(args.timeout_ms.max(1));
            cfg.backoff_base_ms = args.backoff_ms.max(1);
            cfg.max_attempts = args.max_attempts.max(1);
            cfg.max_wait = Duration::from_secs(args.max_wait_secs);
            cfg.smtp = smtp;
            let pb = bar(args.quiet, "发送 {spinner} 已送达 {msg}");
            let s = zhengce_push::deliver_pending(&store, &cfg, &clock, &mut |s| {
                pb.set_message(format!(
                    "{} 条消息（{} 条通知），重试 {}，死信 {}",
                    s.sent, s.notifications_sent, s.retried, s.dead
                ));
                pb.tick();
            })
            .await
            .map_err(push_error)?;
            pb.finish_and_clear();
            eprintln!(
                "发送：送达 {} 条消息（{} 条通知），待重试 {} 次，转入死信 {} 条，限流顺延 {} 次",
                s.sent, s.notifications_sent, s.retried, s.dead, s.deferred
            );
            stats = Some(s);
        }
        let counts = store.outbox_counts(clock.now_ms()).await.map_err(|e| push_error(e.into()))?;
        eprintln!("队列：待发 {}，已送达 {}，死信 {}", counts.pending, counts.sent, counts.dead);
        let run_json = summary.as_ref().map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            if !args.dry_run
                && let Some(o) = v.as_object_mut()
            {
                o.remove("policies");
            }
            v
        });
        crate::out::line(
            &json!({
                "run": run_json,
                "delivery": stats,
                "outbox": {"pending": counts.pending, "sent": counts.sent, "dead": counts.dead},
            })
            .to_string(),
        );
        store.close().await;
        Ok(0)
    })
}

#[allow(clippy::print_stderr)]
fn report_run(s: &zhengce_push::RunSummary) {
    let kinds: Vec<String> =
        ChangeKind::ALL.iter().filter_map(|k| s.changes.get(k.as_str()).map(|n| format!("{} {n}", k.label()))).collect();
    eprintln!(
        "{}：{} 家企业（{}），{} 家有变化：{}",
        if s.dry_run { "预览（未写入、未发送）" } else { "检测完成" },
        s.enterprises,
        s.as_of,
        s.enterprises_changed,
        if kinds.is_empty() { "无".to_string() } else { kinds.join("，") }
    );
    if s.invalid_profiles > 0 {
        eprintln!("提示：{} 家企业的档案不符合当前字段定义，已跳过", s.invalid_profiles);
    }
    if s.dry_run {
        for (slug, p) in &s.policies {
            let t: Vec<String> = p.transitions.iter().map(|(k, n)| format!("{k} {n}")).collect();
            eprintln!("《{}》（{slug}，版本 {}）：{}", p.title, p.version, t.join("，"));
            for (code, name, kind) in &p.sample {
                eprintln!("    例：{name}（{code}）{kind}");
            }
        }
        eprintln!("将排队 {} 条通知（未写入）", s.notifications_planned);
    } else {
        eprintln!("新排队通知 {} 条（已存在的键不会重复排队）", s.notifications_queued);
    }
}

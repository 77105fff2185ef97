//! `zhengce serve`: the HTTP API over the embedded corpus and the store (seeded with the demo
//! county on first run).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use zhengce_model::clock::Clock;
use zhengce_server::AppState;

use crate::clock::SystemClock;
use crate::corpus::{self, CorpusArgs};
use crate::exit::bad_input;

/// Flags of `zhengce serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The store: `sqlite:///path.db`, a plain file path, or `postgres://…` (default: ./data/zhengce.db).
    #[arg(long, env = "ZHENGCE_DB")]
    db: Option<String>,
    /// Mark session cookies `Secure` (set when the service is reached over HTTPS).
    #[arg(long, env = "ZHENGCE_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Requests served at once; more are refused at once with 503 and `Retry-After`.
    #[arg(long, default_value_t = 64)]
    max_in_flight: usize,
    /// Log format: `text` (no colours unless on a terminal) or `json`.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "ZHENGCE_LOG_FORMAT")]
    log_format: LogFormat,
    /// Do not run push in the service (no daily change detection, no delivery); `zhengce push`
    /// still does one run from the command line.
    #[arg(long)]
    no_push: bool,
    /// The daily push run, in minutes after midnight China time (default 30 = 00:30).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(i64).range(0..1440))]
    push_daily_minutes: i64,
    /// SMTP relay for e-mail channels (smtp://host:port or smtps://host).
    #[arg(long, env = "ZHENGCE_SMTP_URL")]
    smtp: Option<String>,
    /// Sender address for e-mail.
    #[arg(long, env = "ZHENGCE_SMTP_FROM", default_value = "政策找企业 <push@localhost>")]
    smtp_from: String,
    #[command(flatten)]
    corpus: CorpusArgs,
}

/// How logs are written.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Plain text; ANSI colours only when stderr is a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

/// Sets up logging: plain text without colour codes unless on a terminal, or JSON on request.
pub fn init_logs(format: LogFormat) {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
    };
}

/// On a store without users: creates the first admin with a random password and says, once, how
/// to log in.
async fn first_admin(store: &zhengce_store::Store, clock: &dyn Clock, addr: SocketAddr) -> anyhow::Result<()> {
    if store.user_count().await? > 0 {
        return Ok(());
    }
    let password = zhengce_store::accounts::random_secret()?.chars().take(16).collect::<String>();
    let new = zhengce_store::accounts::NewUser {
        name: "admin",
        role: zhengce_store::accounts::Role::Admin,
        enterprise: None,
        password: &password,
        department: None,
        can_dispatch: false,
    };
    store.add_user(&new, "system:first-run", clock.now_ms()).await?;
    #[allow(clippy::print_stderr)]
    {
        eprintln!("\n首次启动：已创建管理员账号。请用浏览器打开 http://{addr}/login 登录：");
        eprintln!("  用户名：admin");
        eprintln!("  密码：  {password}   （只显示这一次，请妥善保存）");
        eprintln!("之后可用 `zhengce user add --role officer|enterprise …` 添加工作人员和企业账号。\n");
    }
    Ok(())
}

/// Runs the server until interrupted.
pub fn run(args: &ServeArgs) -> anyhow::Result<i32> {
    init_logs(args.log_format);
    let corpus = corpus::serving(&args.corpus)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let url = args.db.clone().unwrap_or_else(zhengce_store::default_db_url);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let schema = corpus.snapshot.schema().context("schema")?;
        let (store, seeded) = zhengce_roster::demo::open_seeded(&url, schema, clock.now_ms())
            .await
            .map_err(|e| bad_input(format!("无法打开企业库 {url}：{e}")))?;
        if seeded > 0 {
            tracing::info!("企业库为空，已写入演示县数据 {seeded} 家企业（汶上县，示例数据）");
        }
        // The demo season links some requests to policies in force today.
        let policies: Vec<(String, Vec<zhengce_model::policy::Dimension>)> = corpus
            .snapshot
            .policies()
            .iter()
            .filter(|p| p.meta.effective_to.is_none_or(|d| d >= clock.today()))
            .map(|p| (p.meta.slug.clone(), p.meta.dimensions.clone()))
            .collect();
        let season = zhengce_roster::demo::season::seed_if_none(&store, &policies, clock.today())
            .await
            .map_err(|e| bad_input(format!("无法写入演示诉求：{e}")))?;
        if season > 0 {
            tracing::info!("已写入演示县的一季企业诉求 {season} 条（演示数据）");
        }
        let refreshed = zhengce_server::refresh_matches(&store, &corpus.snapshot, clock.today(), clock.as_ref()).await?;
        tracing::info!("已为 {refreshed} 家企业计算规则库版本 {} 的匹配结果", &corpus.snapshot.version()[..12]);
        first_admin(&store, clock.as_ref(), args.addr).await?;
        let config = zhengce_server::Config {
            secure_cookies: args.secure_cookies,
            max_in_flight: args.max_in_flight.max(1),
            ..zhengce_server::Config::default()
        };
        let smtp =
            args.smtp.as_deref().map(|u| zhengce_push::SmtpConfig::parse(u, &args.smtp_from)).transpose().map_err(bad_input)?;
        let state = AppState::new(corpus, Some(store.clone()), clock.clone(), config);
        tokio::spawn(escalate_overdue(store, clock));
        // Push: change detection at startup, daily after midnight China time and after every
        // import, edit or corpus change; delivery of what is queued (see zhengce_server::schedule).
        if !args.no_push {
            let mut cfg = zhengce_server::schedule::ScheduleConfig::new(zhengce_push::deliver::worker_name(state.clock.now_ms()));
            cfg.daily_minutes = args.push_daily_minutes;
            cfg.delivery.smtp = smtp;
            zhengce_server::schedule::spawn(state.clone(), cfg);
            tracing::info!(
                "自动推送已启用：每天 {:02}:{:02}（北京时间）及数据变更后检查",
                args.push_daily_minutes / 60,
                args.push_daily_minutes % 60
            );
        }
        // A corpus from folders is watched: changes are checked and swapped in while serving.
        if let (Some(policies), Some(rules)) = (&args.corpus.policies, &args.corpus.rules) {
            let dirs = zhengce_corpus::CorpusDirs { policies: policies.clone(), rules: rules.clone() };
            let mut status = state.corpus_status.get();
            status.source = zhengce_server::reload::source_name(&dirs);
            state.corpus_status.set(status);
            tracing::info!("正在监视规则库目录 {}，改动经检查后自动生效", zhengce_server::reload::source_name(&dirs));
            tokio::spawn(zhengce_server::reload::watch(state.clone(), dirs, std::time::Duration::from_secs(2)));
        }
        let listener =
            tokio::net::TcpListener::bind(args.addr).await.with_context(|| format!("cannot listen on {}", args.addr))?;
        tracing::info!("zhengce 已启动：http://{}/ ，接口 /api/v1，健康检查 /healthz", args.addr);
        zhengce_server::serve(listener, state, shutdown_signal()).await?;
        tracing::info!("zhengce 已停止（进行中的请求已处理完）");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(0)
}

/// Escalates overdue requests to their dispatchers (through the push outbox) on start and then
/// every hour; each (request, due date) is escalated once.
async fn escalate_overdue(store: zhengce_store::Store, clock: Arc<dyn Clock>) {
    loop {
        match store.escalate_overdue(clock.today(), clock.now_ms()).await {
            Ok(list) if !list.is_empty() => tracing::info!("{} 条诉求已超期，已督办派单人", list.len()),
            Ok(_) => {}
            Err(e) => tracing::warn!("诉求超期督办失败：{e}"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    }
}

/// Resolves on Ctrl-C or SIGTERM; the server then stops accepting and finishes in-flight requests.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("收到停止信号，正在处理完进行中的请求…");
}

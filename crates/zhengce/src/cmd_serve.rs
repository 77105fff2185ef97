//! `zhengce serve`: the HTTP API over the embedded corpus and the store (seeded with the demo
//! county on first run).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use zhengce_server::{AppState, Corpus};

use crate::cmd_match::today;
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
    /// The officer token for endpoints that read or change stored enterprises (default: a random
    /// token printed in the log).
    #[arg(long, env = "ZHENGCE_OFFICER_TOKEN", hide_env_values = true)]
    officer_token: Option<String>,
    #[command(flatten)]
    corpus: CorpusArgs,
}

fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Builds the corpus (snapshot + search index) the server answers from.
pub fn build_corpus(args: &CorpusArgs) -> anyhow::Result<Corpus> {
    let loaded = corpus::load_clean(args)?;
    let files = corpus::files(args)?;
    let text = |path: &str| files.iter().find(|f| f.path == path).map_or("", |f| f.text.as_str());
    let (config, problems) =
        zhengce_search::SearchConfig::parse(text("policies/_search/synonyms.txt"), text("policies/_search/dict.txt"));
    for p in problems {
        tracing::warn!("search config: {p}");
    }
    let search = zhengce_search::SearchIndex::build(loaded.snapshot.policies(), config).context("building the search index")?;
    Ok(Corpus { snapshot: loaded.snapshot, search })
}

/// Runs the server until interrupted.
pub fn run(args: &ServeArgs) -> anyhow::Result<i32> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let corpus = build_corpus(&args.corpus)?;
    let url = args.db.clone().unwrap_or_else(zhengce_store::default_db_url);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let schema = corpus.snapshot.schema().context("schema")?;
        let (store, seeded) =
            zhengce_roster::demo::open_seeded(&url, schema).await.map_err(|e| bad_input(format!("无法打开企业库 {url}：{e}")))?;
        if seeded > 0 {
            tracing::info!("企业库为空，已写入演示县数据 {seeded} 家企业（汶上县，示例数据）");
        }
        let refreshed = zhengce_server::refresh_matches(&store, &corpus.snapshot, today()).await?;
        tracing::info!("已为 {refreshed} 家企业计算规则库版本 {} 的匹配结果", &corpus.snapshot.version()[..12]);
        let token = args.officer_token.clone().unwrap_or_else(|| {
            let t = random_token();
            tracing::info!("工作人员令牌（本次启动有效）：{t}");
            t
        });
        let state = AppState {
            corpus: Arc::new(corpus),
            store: Some(store),
            officer_token_sha256: zhengce_server::token_hash(&token),
            today: Arc::new(today),
        };
        let app = zhengce_server::router(state);
        let listener =
            tokio::net::TcpListener::bind(args.addr).await.with_context(|| format!("cannot listen on {}", args.addr))?;
        tracing::info!("zhengce 已启动：http://{}/healthz ，接口 /api/v1", args.addr);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(0)
}

//! `zhengce demo-data` (write a demo 汶上县 roster) and `zhengce import` (load a roster into the store).
//!
//! Both live in `zhengce-roster` (`demo`, `import`, driven by the corpus schema); this module is
//! flags, progress bars and the report. `import` prints a human report on stderr and a JSON summary on stdout
//! (`{"rows", "created", "updated", "unchanged", "invalid_rows", "applied", "errors": [...]}`), and
//! exits 2 when any row was bad (nothing written by default; with `--skip-invalid` the good rows are).

use std::io::BufWriter;
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use zhengce_model::clock::Clock as _;
use zhengce_roster::RosterError;
use zhengce_roster::demo::{self, DemoFormat};
use zhengce_roster::import::{self, ImportOptions, Progress};
use zhengce_store::Store;

use crate::clock::SystemClock;
use crate::corpus::{self, CorpusArgs};
use crate::exit::bad_input;

/// The largest demo roster (credit codes stay unique up to this size).
const MAX_DEMO: u64 = 10_000_000;

/// Flags of `zhengce demo-data`.
#[derive(clap::Args, Debug)]
pub struct DemoDataArgs {
    /// How many enterprises to generate (1 to 10,000,000).
    #[arg(long, value_name = "N")]
    pub enterprises: u64,
    /// The seed: the same seed always gives the same roster.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Output: .csv (Chinese headers, importable with `zhengce import`) or .jsonl (one profile per
    /// line, for `zhengce batch --profiles`).
    #[arg(long, value_name = "FILE.csv|FILE.jsonl")]
    pub out: PathBuf,
    #[command(flatten)]
    pub corpus: CorpusArgs,
}

/// Flags of `zhengce import`.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The roster: .csv (UTF-8 or GBK) or .xlsx.
    #[arg(value_name = "FILE.csv|FILE.xlsx")]
    pub file: PathBuf,
    /// Write the good rows even if some rows are bad (the bad ones are reported).
    #[arg(long)]
    pub skip_invalid: bool,
    /// The store: an SQLite file path, sqlite:///path.db or postgres://user:pass@host/db.
    #[arg(long, value_name = "URL", env = "ZHENGCE_DB", default_value_t = zhengce_store::default_db_url())]
    pub db: String,
    #[command(flatten)]
    pub corpus: CorpusArgs,
}

fn bar(len: u64, template: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}

/// Writes the demo roster; exit status 0.
#[allow(clippy::print_stderr)]
pub fn run_demo_data(args: &DemoDataArgs) -> anyhow::Result<i32> {
    let Some(format) = DemoFormat::from_path(&args.out) else {
        return Err(bad_input(format!("{}：输出文件应以 .csv 或 .jsonl 结尾", args.out.display())));
    };
    if args.enterprises == 0 || args.enterprises > MAX_DEMO {
        return Err(bad_input(format!("--enterprises 应在 1 到 {MAX_DEMO} 之间，实际为 {}", args.enterprises)));
    }
    let loaded = corpus::load_clean(&args.corpus)?;
    let schema = loaded.snapshot.schema().ok_or_else(|| bad_input("规则库中没有档案模式 rules/schema.ron，无法生成名册"))?;
    let tmp = args.out.with_extension(format!("{}.partial", if format == DemoFormat::Csv { "csv" } else { "jsonl" }));
    let file = std::fs::File::create(&tmp).map_err(|e| bad_input(format!("无法写入 {}：{e}", tmp.display())))?;
    let pb = bar(args.enterprises, "{bar:40} {pos}/{len} 家 {per_sec} 预计剩余 {eta}");
    let out = BufWriter::with_capacity(1 << 20, file);
    demo::write_demo(out, schema, format, args.enterprises, args.seed, &mut |n| pb.set_position(n))
        .map_err(|e| bad_input(format!("无法写入 {}：{e}", tmp.display())))?;
    pb.finish_and_clear();
    std::fs::rename(&tmp, &args.out).map_err(|e| bad_input(format!("无法写入 {}：{e}", args.out.display())))?;
    eprintln!("已生成 {} 家演示企业（种子 {}，名称均带“（演示）”），写入 {}", args.enterprises, args.seed, args.out.display());
    Ok(0)
}

/// An import error as the CLI reports it: the user's to fix (exit 2) or internal (exit 1).
fn roster_error(e: RosterError) -> anyhow::Error {
    if e.is_user_error() { bad_input(e.to_string()) } else { anyhow::Error::new(e) }
}

/// Imports a roster; exit status 2 when any row was bad.
#[allow(clippy::print_stderr, clippy::print_stdout)]
pub fn run_import(args: &ImportArgs) -> anyhow::Result<i32> {
    if !args.file.is_file() {
        return Err(bad_input(format!("找不到文件 {}", args.file.display())));
    }
    let loaded = corpus::load_clean(&args.corpus)?;
    let Some(schema) = loaded.snapshot.schema() else {
        return Err(bad_input("规则库中没有档案模式 rules/schema.ron，无法校验名册"));
    };
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let actor = format!("cli:{user}");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let report = runtime.block_on(async {
        let store = Store::open(&args.db).await.map_err(|e| roster_error(e.into()))?;
        let pb = bar(0, "{bar:40} {percent}% 已读 {msg} 行 预计剩余 {eta}");
        let mut on_progress = |p: Progress| {
            pb.set_length(p.total);
            pb.set_position(p.done);
            pb.set_message(p.rows.to_string());
        };
        let opts = ImportOptions { skip_invalid: args.skip_invalid, actor: &actor, at_ms: SystemClock.now_ms() };
        let report = import::import_file(&store, &args.file, schema, &opts, &mut on_progress).await.map_err(roster_error);
        pb.finish_and_clear();
        store.close().await;
        report
    })?;

    eprintln!("{}：{}，{} 行数据", args.file.display(), report.format, report.rows);
    for w in &report.warnings {
        eprintln!("提示：{w}");
    }
    for e in &report.errors {
        eprintln!("第{}行 列“{}” 值“{}”：{}", e.row, e.column, e.value, e.reason);
    }
    if report.applied {
        eprintln!(
            "导入完成：新增 {} 家，更新 {} 家（新建档案版本），未变化 {} 家{}",
            report.created,
            report.updated,
            report.unchanged,
            if report.invalid_rows > 0 { format!("；跳过不合格的 {} 行", report.invalid_rows) } else { String::new() }
        );
    } else {
        eprintln!("有 {} 行不合格，未写入任何数据。请修正后重新导入，或加 --skip-invalid 只导入合格的行。", report.invalid_rows);
    }
    let errors: Vec<_> =
        report.errors.iter().map(|e| json!({"row": e.row, "column": e.column, "value": e.value, "reason": e.reason})).collect();
    let summary = json!({
        "file": args.file.display().to_string(), "format": report.format, "rows": report.rows,
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
        "invalid_rows": report.invalid_rows, "applied": report.applied, "warnings": report.warnings, "errors": errors,
    });
    crate::out::line(&summary.to_string());
    Ok(if report.invalid_rows > 0 { 2 } else { 0 })
}

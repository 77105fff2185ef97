//! The `zhengce` command line: check the corpus, match enterprises, search policies, import rosters,
//! write visit briefs.
//!
//! Every subcommand follows `contracts.md`: exit status 0 on success, 2 on bad input (with a message
//! naming the file, line and column or the field), 1 on an internal failure.

mod clock;
mod cmd_batch;
mod cmd_brief;
mod cmd_check;
mod cmd_data;
mod cmd_match;
mod cmd_push;
mod cmd_search;
mod cmd_serve;
mod cmd_user;
mod corpus;
mod exit;
mod out;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's allocator: matching with full reasons, JSON answers and batch lines
/// allocate many small short-lived values from several threads, where glibc's malloc/free took a
/// quarter of the server's samples under load (BENCHMARKS.md, "Full reasons and serving").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// 政策找企业：惠企政策匹配引擎。
#[derive(Parser, Debug)]
#[command(name = "zhengce", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate the corpus (policies, schema, rules) and run every rule example.
    Check(cmd_check::CheckArgs),
    /// Match one enterprise profile against every policy in force.
    Match(cmd_match::MatchArgs),
    /// Match a JSONL file of profiles, one result line per input line.
    Batch(cmd_batch::BatchArgs),
    /// Search policies in everyday Chinese.
    Search(cmd_search::SearchArgs),
    /// Generate a deterministic demo roster of Wenshang enterprises.
    #[command(name = "demo-data")]
    DemoData(cmd_data::DemoDataArgs),
    /// Import a roster (CSV or XLSX) into the store.
    Import(cmd_data::ImportArgs),
    /// Serve the web UI and JSON API (seeds an empty store with the demo county).
    Serve(cmd_serve::ServeArgs),
    /// Detect who newly qualifies (or no longer does) and deliver the notifications.
    Push(cmd_push::PushArgs),
    /// Manage accounts.
    #[command(subcommand)]
    User(cmd_user::UserCommand),
    /// Write a visit brief for an enterprise, town, park or chamber (HTML, Markdown, xlsx, PDF).
    Brief(cmd_brief::BriefArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Check(a) => cmd_check::run(a),
        Command::Match(a) => cmd_match::run(a),
        Command::Batch(a) => cmd_batch::run(a),
        Command::Search(a) => cmd_search::run(a),
        Command::DemoData(a) => cmd_data::run_demo_data(a),
        Command::Import(a) => cmd_data::run_import(a),
        Command::Serve(a) => cmd_serve::run(a),
        Command::User(c) => cmd_user::run(c),
        Command::Brief(a) => cmd_brief::run(a),
        Command::Push(a) => cmd_push::run(a),
    };
    std::process::exit(exit::report(result));
}

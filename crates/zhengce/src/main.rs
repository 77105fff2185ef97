//! The `zhengce` command line: check the corpus, match enterprises, search policies, import rosters.
//!
//! Every subcommand follows `contracts.md`: exit status 0 on success, 2 on bad input (with a message
//! naming the file, line and column or the field), 1 on an internal failure.

mod cmd_batch;
mod cmd_check;
mod cmd_match;
mod corpus;
mod exit;

use clap::{Parser, Subcommand};

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
}

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Check(a) => cmd_check::run(a),
        Command::Match(a) => cmd_match::run(a),
        Command::Batch(a) => cmd_batch::run(a),
    };
    std::process::exit(exit::report(result));
}

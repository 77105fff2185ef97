//! `zhengce batch`: a JSONL file of profiles in, one result line per input line out, in order.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

use crate::cmd_match::parse_at;
use crate::corpus::{self, CorpusArgs};
use crate::exit::bad_input;

/// Flags of `zhengce batch`.
#[derive(clap::Args, Debug)]
pub struct BatchArgs {
    /// Profiles, one JSON object per line.
    #[arg(long, value_name = "FILE.jsonl")]
    profiles: PathBuf,
    /// The matching date (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    at: Option<String>,
    /// Where to write the results (JSONL).
    #[arg(long, value_name = "FILE.jsonl")]
    out: PathBuf,
    #[command(flatten)]
    corpus: CorpusArgs,
}

/// Lines per chunk: memory stays bounded by one chunk of profiles and results, whatever the input size.
const CHUNK: usize = 16_384;

/// Runs the batch; exit status 2 when any line was bad (the batch still goes on).
#[allow(clippy::print_stderr)]
pub fn run(args: &BatchArgs) -> anyhow::Result<i32> {
    let as_of = parse_at(args.at.as_deref())?;
    let loaded = corpus::load_clean(&args.corpus)?;
    let input =
        std::fs::File::open(&args.profiles).map_err(|e| bad_input(format!("无法读取 {}：{e}", args.profiles.display())))?;
    let tmp = args.out.with_extension("jsonl.partial");
    let mut out = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&tmp).map_err(|e| bad_input(format!("无法写入 {}：{e}", tmp.display())))?,
    );
    let mut lines = std::io::BufReader::with_capacity(1 << 20, input).lines();
    // Compiled once for the date; each chunk is laid out by column and evaluated block by block.
    let plan = zhengce_engine::columnar::Plan::new(&loaded.snapshot, as_of);
    let (mut line_no, mut errors, mut total) = (1usize, 0usize, 0usize);
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        for l in lines.by_ref().take(CHUNK) {
            chunk.push(
                l.map_err(|e| bad_input(format!("{} 第{}行无法读取：{e}", args.profiles.display(), line_no + chunk.len())))?,
            );
        }
        if chunk.is_empty() {
            break;
        }
        // Parsed and serialised in parallel, evaluated by column; written in input order.
        let (bytes, bad) = zhengce_engine::match_chunk_jsonl(&loaded.snapshot, &plan, &chunk, line_no);
        errors += bad;
        out.write_all(&bytes)?;
        line_no += chunk.len();
        total += chunk.len();
    }
    out.flush()?;
    drop(out);
    std::fs::rename(&tmp, &args.out)?;
    eprintln!("已匹配 {total} 家企业，{errors} 行有错误，结果写入 {}", args.out.display());
    Ok(if errors > 0 { 2 } else { 0 })
}

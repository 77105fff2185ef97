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

/// Lines per chunk: memory stays bounded by a few chunks of profiles and results in flight,
/// whatever the input size.
const CHUNK: usize = 16_384;

/// Runs the batch; exit status 2 when any line was bad (the batch still goes on).
///
/// Three stages overlap: a reader thread cuts the input into chunks of lines, the calling
/// thread matches each chunk (its parts in parallel, see `zhengce_engine::match_chunk_jsonl`),
/// and a writer thread writes the results in input order. At most two chunks wait between
/// stages. The results go to `OUT.jsonl.partial`, renamed to `OUT` only when every line is
/// written; on an error the partial file is removed.
#[allow(clippy::print_stderr)]
pub fn run(args: &BatchArgs) -> anyhow::Result<i32> {
    let as_of = parse_at(args.at.as_deref())?;
    let loaded = corpus::load_clean(&args.corpus)?;
    let input =
        std::fs::File::open(&args.profiles).map_err(|e| bad_input(format!("无法读取 {}：{e}", args.profiles.display())))?;
    let tmp = args.out.with_extension("jsonl.partial");
    let out = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&tmp).map_err(|e| bad_input(format!("无法写入 {}：{e}", tmp.display())))?,
    );
    // Compiled once for the date; each chunk is laid out by column and evaluated block by block.
    let plan = zhengce_engine::columnar::Plan::new(&loaded.snapshot, as_of);
    let result = pipeline(args, input, out, |chunk, first_line| {
        zhengce_engine::match_chunk_jsonl(&loaded.snapshot, &plan, chunk, first_line)
    });
    let (total, errors) = match result {
        Ok(counts) => counts,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, &args.out)?;
    eprintln!("已匹配 {total} 家企业，{errors} 行有错误，结果写入 {}", args.out.display());
    Ok(if errors > 0 { 2 } else { 0 })
}

/// Reads chunks of lines, matches each with `work` and writes its bytes, the three overlapping;
/// the number of lines and of error lines.
fn pipeline(
    args: &BatchArgs,
    input: std::fs::File,
    mut out: BufWriter<std::fs::File>,
    work: impl Fn(&[String], usize) -> (Vec<u8>, usize),
) -> anyhow::Result<(usize, usize)> {
    use std::sync::mpsc::sync_channel;
    let (chunks_tx, chunks) = sync_channel::<anyhow::Result<Vec<String>>>(2);
    let (bytes_tx, bytes) = sync_channel::<Vec<u8>>(2);
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut lines = std::io::BufReader::with_capacity(1 << 20, input).lines();
            let mut line_no = 1usize;
            loop {
                let mut chunk = Vec::with_capacity(CHUNK);
                for l in lines.by_ref().take(CHUNK) {
                    match l {
                        Ok(l) => chunk.push(l),
                        Err(e) => {
                            let at = line_no + chunk.len();
                            let _ = chunks_tx.send(Err(bad_input(format!("{} 第{at}行无法读取：{e}", args.profiles.display()))));
                            return;
                        }
                    }
                }
                if chunk.is_empty() {
                    return;
                }
                line_no += chunk.len();
                if chunks_tx.send(Ok(chunk)).is_err() {
                    return; // the matcher stopped on an error
                }
            }
        });
        let writer = s.spawn(move || -> std::io::Result<()> {
            for b in bytes {
                out.write_all(&b)?;
            }
            out.flush()
        });
        let (mut line_no, mut errors) = (1usize, 0usize);
        let mut failed = None;
        for chunk in chunks {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            };
            let (b, bad) = work(&chunk, line_no);
            errors += bad;
            line_no += chunk.len();
            if bytes_tx.send(b).is_err() {
                break; // the writer stopped on an error: reported below
            }
        }
        drop(bytes_tx);
        let written = writer.join().map_err(|_| anyhow::anyhow!("写入线程异常退出"))?;
        if let Some(e) = failed {
            return Err(e);
        }
        written?;
        Ok((line_no - 1, errors))
    })
}

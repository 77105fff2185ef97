//! Batch matching: many profiles against one snapshot, in input order.
//!
//! [`match_chunk_jsonl`] is what `zhengce batch` runs on each chunk of lines: lines are parsed in
//! parallel (rayon), laid out by column, evaluated by the columnar [`Plan`] and written back as
//! JSONL in parallel; [`match_chunk`] gives the same as values, and [`match_many`] is the
//! row-by-row reference, kept for comparison.

use rayon::prelude::*;
use serde::Serialize;
use zhengce_model::Date;
use zhengce_model::verdict::Status;

use crate::Snapshot;
use crate::columnar::{Plan, code};

/// One output line of `zhengce batch` (see `contracts.md`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum BatchLine {
    /// A matched enterprise.
    Ok {
        /// Credit code, or the 1-based line number when there is none.
        enterprise: String,
        /// Eligible slugs.
        eligible: Vec<String>,
        /// Possible slugs.
        possible: Vec<String>,
        /// Near-miss slugs.
        near_miss: Vec<String>,
    },
    /// A line that could not be matched.
    Error {
        /// Credit code or line number.
        enterprise: String,
        /// What was wrong.
        error: String,
    },
}

/// A parsed line: the enterprise's name in the output and its profile, or the error line.
fn parse_line(snapshot: &Snapshot, line_no: usize, line: &str) -> Result<(String, zhengce_model::fact::Profile), BatchLine> {
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| BatchLine::Error {
            enterprise: line_no.to_string(), error: format!("第{line_no}行不是有效的 JSON：{e}")
        })?;
    let enterprise = value.get("credit_code").and_then(|c| c.as_str()).map_or_else(|| line_no.to_string(), str::to_string);
    match snapshot.parse_profile_json(&value) {
        Ok(p) => Ok((enterprise, p)),
        Err(errs) => {
            let msg: Vec<String> = errs.iter().map(|e| e.message.clone()).collect();
            Err(BatchLine::Error { enterprise, error: msg.join("；") })
        }
    }
}

/// Statuses of one chunk: the parsed lines (enterprise name or the error line) and, per parsed
/// enterprise in order, the indices into the plan's slugs of its eligible, possible and near-miss
/// policies (no strings are made per pair).
type Evaluated = (Vec<Result<String, BatchLine>>, Vec<[Vec<u32>; 3]>);

fn evaluate_chunk(snapshot: &Snapshot, plan: &Plan, lines: &[String], first_line: usize) -> Evaluated {
    let parsed: Vec<Result<(String, zhengce_model::fact::Profile), BatchLine>> =
        lines.par_iter().enumerate().map(|(i, l)| parse_line(snapshot, first_line + i, l)).collect();
    let mut cols = plan.columns();
    cols.reserve(parsed.len());
    for (_, p) in parsed.iter().flatten() {
        plan.push(&mut cols, p);
    }
    cols.seal();
    let mut lists: Vec<[Vec<u32>; 3]> = vec![Default::default(); cols.len()];
    let bound = plan.bind(&cols);
    let mut runner = bound.runner();
    let policies = plan.slugs().count();
    runner.run(0..cols.len(), |b| {
        for p in 0..policies {
            if !b.active[p] {
                continue;
            }
            for (i, &c) in b.policy(p).iter().enumerate() {
                let k = match c {
                    code::ELIGIBLE => 0,
                    code::POSSIBLE => 1,
                    code::NEAR_MISS => 2,
                    _ => continue,
                };
                lists[b.start + i][k].push(p as u32);
            }
        }
    });
    let names = parsed.into_iter().map(|r| r.map(|(enterprise, _)| enterprise)).collect();
    (names, lists)
}

/// Matches one chunk of lines with the columnar `plan` (made for the snapshot and date); the
/// output keeps input order. `first_line` is the 1-based number of `lines[0]`.
pub fn match_chunk(snapshot: &Snapshot, plan: &Plan, lines: &[String], first_line: usize) -> Vec<BatchLine> {
    let (names, lists) = evaluate_chunk(snapshot, plan, lines, first_line);
    let slugs: Vec<&str> = plan.slugs().collect();
    let strings = |ix: &[u32]| ix.iter().map(|&p| slugs[p as usize].to_string()).collect();
    let mut lists = lists.into_iter();
    names
        .into_iter()
        .map(|r| match r {
            Ok(enterprise) => {
                let [eligible, possible, near_miss] = lists.next().unwrap_or_default();
                BatchLine::Ok {
                    enterprise,
                    eligible: strings(&eligible),
                    possible: strings(&possible),
                    near_miss: strings(&near_miss),
                }
            }
            Err(line) => line,
        })
        .collect()
}

/// As [`match_chunk`], written straight to JSONL bytes (the same bytes as serialising each
/// [`BatchLine`] and a newline), lines serialised in parallel; also the number of error lines.
pub fn match_chunk_jsonl(snapshot: &Snapshot, plan: &Plan, lines: &[String], first_line: usize) -> (Vec<u8>, usize) {
    let (names, lists) = evaluate_chunk(snapshot, plan, lines, first_line);
    let slugs: Vec<&str> = plan.slugs().collect();
    // Pair each parsed enterprise with its lists (errors have none).
    let mut it = lists.into_iter();
    let rows: Vec<(Result<String, BatchLine>, [Vec<u32>; 3])> = names
        .into_iter()
        .map(|r| {
            let l = if r.is_ok() { it.next().unwrap_or_default() } else { Default::default() };
            (r, l)
        })
        .collect();
    let errors = rows.iter().filter(|(r, _)| r.is_err()).count();
    let parts: Vec<Vec<u8>> = rows
        .par_chunks(1024)
        .map(|part| {
            let mut out = Vec::with_capacity(part.len() * 1024);
            for (r, l) in part {
                match r {
                    Ok(enterprise) => {
                        out.extend_from_slice(b"{\"enterprise\":");
                        write_str(&mut out, enterprise);
                        for (key, ix) in [("eligible", &l[0]), ("possible", &l[1]), ("near_miss", &l[2])] {
                            out.extend_from_slice(b",\"");
                            out.extend_from_slice(key.as_bytes());
                            out.extend_from_slice(b"\":[");
                            for (n, &p) in ix.iter().enumerate() {
                                if n > 0 {
                                    out.push(b',');
                                }
                                write_str(&mut out, slugs[p as usize]);
                            }
                            out.push(b']');
                        }
                        out.push(b'}');
                    }
                    Err(line) => {
                        // Serialising a plain enum into a Vec cannot fail.
                        let _ = serde_json::to_writer(&mut out, line);
                    }
                }
                out.push(b'\n');
            }
            out
        })
        .collect();
    (parts.concat(), errors)
}

/// A JSON string literal, escaped as serde_json escapes it.
fn write_str(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Matches one JSONL line (1-based `line_no`).
pub fn batch_line(snapshot: &Snapshot, line_no: usize, line: &str, as_of: Date) -> BatchLine {
    let value: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            return BatchLine::Error {
                enterprise: line_no.to_string(), error: format!("第{line_no}行不是有效的 JSON：{e}")
            };
        }
    };
    let enterprise = value.get("credit_code").and_then(|c| c.as_str()).map_or_else(|| line_no.to_string(), str::to_string);
    let profile = match snapshot.parse_profile_json(&value) {
        Ok(p) => p,
        Err(errs) => {
            let msg: Vec<String> = errs.iter().map(|e| e.message.clone()).collect();
            return BatchLine::Error { enterprise, error: msg.join("；") };
        }
    };
    let statuses = snapshot.statuses(&profile, as_of);
    let pick = |s: Status| statuses.iter().filter(|(_, st)| *st == s).map(|(slug, _)| (*slug).to_string()).collect();
    BatchLine::Ok {
        enterprise,
        eligible: pick(Status::Eligible),
        possible: pick(Status::Possible),
        near_miss: pick(Status::NearMiss),
    }
}

/// Matches many lines in parallel; the output keeps input order. `first_line` is the 1-based number of `lines[0]`.
pub fn match_many(snapshot: &Snapshot, lines: &[String], first_line: usize, as_of: Date) -> Vec<BatchLine> {
    lines.par_iter().enumerate().map(|(i, l)| batch_line(snapshot, first_line + i, l, as_of)).collect()
}

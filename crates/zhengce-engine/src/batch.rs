//! Batch matching: many profiles against one snapshot, in input order.
//!
//! [`match_chunk`] is what `zhengce batch` runs on each chunk of lines: lines are parsed in
//! parallel (rayon), laid out by column and evaluated by the columnar [`Plan`]; [`match_many`]
//! is the row-by-row reference, kept for comparison.

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

/// Matches a chunk of JSONL lines with the columnar evaluator (`plan` compiled from `snapshot`
/// for the batch's date); the same output as [`match_many`]. `first_line` is the 1-based number
/// of `lines[0]`.
pub fn match_chunk(snapshot: &Snapshot, plan: &Plan, lines: &[String], first_line: usize) -> Vec<BatchLine> {
    let parsed: Vec<Result<(String, zhengce_model::fact::Profile), BatchLine>> =
        lines.par_iter().enumerate().map(|(i, l)| parse_line(snapshot, first_line + i, l)).collect();
    let mut cols = plan.columns();
    cols.reserve(parsed.len());
    for (_, p) in parsed.iter().flatten() {
        plan.push(&mut cols, p);
    }
    cols.seal();
    let slugs: Vec<&str> = plan.slugs().collect();
    let mut lists: Vec<[Vec<String>; 3]> = vec![Default::default(); cols.len()];
    let bound = plan.bind(&cols);
    let mut runner = bound.runner();
    runner.run(0..cols.len(), |b| {
        for (p, slug) in slugs.iter().enumerate() {
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
                lists[b.start + i][k].push((*slug).to_string());
            }
        }
    });
    let mut lists = lists.into_iter();
    parsed
        .into_iter()
        .map(|r| match r {
            Ok((enterprise, _)) => {
                let [eligible, possible, near_miss] = lists.next().unwrap_or_default();
                BatchLine::Ok { enterprise, eligible, possible, near_miss }
            }
            Err(line) => line,
        })
        .collect()
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

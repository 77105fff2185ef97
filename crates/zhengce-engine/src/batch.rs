//! Batch matching: many profiles against one snapshot, in parallel with rayon, in input order.

use rayon::prelude::*;
use serde::Serialize;
use zhengce_model::Date;
use zhengce_model::verdict::Status;

use crate::Snapshot;

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

//! `zhengce match`: one enterprise profile against every policy in force.

use std::path::PathBuf;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL};
use zhengce_model::Date;
use zhengce_model::clock::Clock as _;
use zhengce_model::verdict::{MatchReport, Outcome, Status};

use crate::corpus::{self, CorpusArgs};
use crate::exit::bad_input;

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// JSON as in contracts.md.
    #[default]
    Json,
    /// A Chinese table for a person at a terminal.
    Table,
}

/// Flags of `zhengce match`.
#[derive(clap::Args, Debug)]
pub struct MatchArgs {
    /// The profile: JSON, or RON when the file ends in `.ron`.
    #[arg(long, value_name = "FILE")]
    profile: PathBuf,
    /// The matching date (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    #[command(flatten)]
    corpus: CorpusArgs,
}

/// Parses `--at`, defaulting to today.
pub fn parse_at(at: Option<&str>) -> anyhow::Result<Date> {
    match at {
        Some(s) => s.parse().map_err(|_| bad_input(format!("--at `{s}` 不是有效日期，应为 YYYY-MM-DD"))),
        None => Ok(crate::clock::SystemClock.today()),
    }
}

/// Reads a profile file (JSON, or RON by extension) into a JSON value.
pub fn read_profile(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|e| bad_input(format!("无法读取画像文件 {}：{e}", path.display())))?;
    if path.extension().is_some_and(|e| e == "ron") {
        ron::from_str(&text).map_err(|e| {
            bad_input(format!("{}:{}:{}: RON 格式错误：{}", path.display(), e.span.start.line, e.span.start.col, e.code))
        })
    } else {
        serde_json::from_str(&text)
            .map_err(|e| bad_input(format!("{}:{}:{}: JSON 格式错误：{e}", path.display(), e.line(), e.column())))
    }
}

/// Runs the match.
pub fn run(args: &MatchArgs) -> anyhow::Result<i32> {
    let as_of = parse_at(args.at.as_deref())?;
    let loaded = corpus::load_clean(&args.corpus)?;
    let value = read_profile(&args.profile)?;
    let profile = loaded.snapshot.parse_profile_json(&value).map_err(|errs| {
        let lines: Vec<String> =
            errs.iter().map(|e| format!("{}: 字段 `{}`：{}", args.profile.display(), e.field, e.message)).collect();
        bad_input(lines.join("\n"))
    })?;
    let report = loaded.snapshot.match_profile(&profile, as_of);
    match args.format {
        Format::Json => crate::out::line(&serde_json::to_string_pretty(&report)?),
        Format::Table => crate::out::text(&render_table(&report, value.get("name").and_then(|n| n.as_str()))),
    }
    Ok(0)
}

/// Renders a report as a Chinese table.
pub fn render_table(report: &MatchReport, name: Option<&str>) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "企业：{}　匹配日期：{}　规则库版本：{}\n",
        name.unwrap_or("（未填写名称）"),
        report.as_of,
        &report.rules_version[..12]
    ));
    let derived: Vec<String> =
        report.derived.iter().map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect();
    out.push_str(&format!("派生事实：{}\n", derived.join("，")));
    let mut table = Table::new();
    table.load_style(UTF8_FULL).set_content_arrangement(ContentArrangement::Dynamic).set_width(160);
    table.set_header(vec!["结论", "政策", "层级", "预计金额（万元）", "理由 / 缺少的信息 / 差距", "截止", "部门"]);
    for r in &report.results {
        // A person at a terminal wants the deciding lines: the passes of an eligible policy, the
        // questions of a possible one, the gaps of a near miss, the failures of an ineligible one.
        let mut why: Vec<String> = Vec::new();
        if let Some(b) = &r.benefit {
            why.push(format!("￥ {}", b.text));
        }
        for g in &r.gaps {
            why.push(format!("△ {}", g.text));
        }
        for m in &r.missing {
            why.push(format!("? {}", m.question));
        }
        for m in &r.region_missing {
            why.push(format!("◇ 待确认的地区事实（由主管部门确认，无需企业填写）：{}", m.question));
        }
        let wanted = |o: Outcome| match r.status {
            Status::Eligible => o == Outcome::Pass,
            Status::Possible | Status::NearMiss => false,
            Status::Ineligible => o == Outcome::Fail,
        };
        for reason in r.reasons.iter().filter(|x| !x.settled && wanted(x.outcome)) {
            let mark = if reason.outcome == Outcome::Pass { "✓" } else { "✗" };
            why.push(format!("{}{mark} {}", "  ".repeat(reason.depth), reason.text));
        }
        // Badges and short caveats only; the full notes are in the JSON output.
        for n in r.notes.iter().filter(|n| n.kind.is_short_caveat()) {
            why.push(format!("注：{}", n.text));
        }
        let amount = r.benefit.as_ref().map_or_else(|| "—".to_string(), |b| zhengce_engine::format::num(b.amount_wan));
        table.add_row(vec![
            r.status.label().to_string(),
            r.title.clone(),
            r.level.label().to_string(),
            amount,
            why.join("\n"),
            match (r.application.state, r.application.opens, r.application.closes) {
                (zhengce_engine::WindowState::Closed, _, Some(c)) => format!("已截止（{c}）"),
                (zhengce_engine::WindowState::NotYet, Some(o), _) => format!("{o} 起申报"),
                _ => r.deadline.map_or_else(|| "—".to_string(), |d| d.to_string()),
            },
            r.department.clone(),
        ]);
    }
    out.push_str(&table.to_string());
    out.push('\n');
    out.push_str(&render_questions(report, 5));
    out
}

/// The top `n` questions of a report and what answering them could confirm, then the region facts
/// waiting for officers.
pub fn render_questions(report: &MatchReport, n: usize) -> String {
    let mut out = String::new();
    let top: Vec<_> = report.questions.iter().take(n).collect();
    if !top.is_empty() {
        let slugs: std::collections::BTreeSet<&str> = top.iter().flat_map(|q| q.policies.iter().map(String::as_str)).collect();
        let total: f64 = report
            .results
            .iter()
            .filter(|r| slugs.contains(r.policy.as_str()))
            .filter(|r| r.implements.as_deref().is_none_or(|base| !slugs.contains(base)))
            .filter_map(|r| r.benefit.as_ref().map(|b| b.amount_wan))
            .sum();
        let k = top.len();
        if total > 0.0 {
            out.push_str(&format!(
                "\n回答以下{k}个问题，可确认约{}万元（涉及{}项政策）：\n",
                zhengce_engine::format::num(total),
                slugs.len()
            ));
        } else {
            out.push_str(&format!("\n回答以下{k}个问题，可确认{}项政策是否适用：\n", slugs.len()));
        }
        for (i, q) in top.iter().enumerate() {
            let unit = if q.unit.is_empty() { String::new() } else { format!("（单位：{}）", q.unit) };
            let amount = if q.unlocks_wan > 0.0 {
                format!("可确认约{}万元", zhengce_engine::format::num(q.unlocks_wan))
            } else {
                "暂无可估算金额".to_string()
            };
            out.push_str(&format!("{}. {}{unit}\n   {amount}，涉及{}项政策", i + 1, q.question, q.policies.len()));
            if !q.choices.is_empty() {
                out.push_str(&format!("；可选：{}", q.choices.join("／")));
            }
            out.push('\n');
            if let Some(h) = &q.hint {
                out.push_str(&format!("   去哪里找：{h}\n"));
            }
            if let Some(g) = &q.after {
                let gate = report.questions.iter().find(|x| &x.field == g).map_or(g.as_str(), |x| x.question.as_str());
                out.push_str(&format!("   先回答：{gate}\n"));
            }
        }
        if report.questions.len() > k {
            out.push_str(&format!("（另有{}个问题，见 --format json 的 questions）\n", report.questions.len() - k));
        }
    }
    if !report.region_questions.is_empty() {
        out.push_str("\n待确认的地区事实（由主管部门确认并登记在 rules/region-facts.ron，无需企业回答）：\n");
        for q in &report.region_questions {
            out.push_str(&format!("- {}（涉及{}项政策）\n", q.question, q.policies.len()));
        }
    }
    out
}

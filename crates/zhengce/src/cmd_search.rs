//! `zhengce search`: find policies in everyday Chinese, optionally only among those an enterprise
//! qualifies for (`--profile`: engine verdicts → allowed slugs → search).

use std::path::PathBuf;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL};
use serde_json::{Value, json};
use zhengce_engine::SourceFile;
use zhengce_model::Date;
use zhengce_model::policy::{Dimension, Level};
use zhengce_model::verdict::Status;
use zhengce_search::{SearchConfig, SearchIndex, SearchOptions, SearchResults, Within};

use crate::cmd_match::{Format, parse_at, read_profile};
use crate::corpus::{self, CorpusArgs};
use crate::exit::bad_input;

/// Upper bound of `--limit`.
const MAX_LIMIT: usize = 1000;

/// `--level` values.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelArg {
    /// 国家.
    National,
    /// 省级.
    Province,
    /// 市级.
    City,
    /// 县级.
    County,
}

impl From<LevelArg> for Level {
    fn from(l: LevelArg) -> Level {
        match l {
            LevelArg::National => Level::National,
            LevelArg::Province => Level::Province,
            LevelArg::City => Level::City,
            LevelArg::County => Level::County,
        }
    }
}

/// `--dimension` values.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DimensionArg {
    /// 用工.
    Employment,
    /// 融资.
    Financing,
    /// 技改.
    Technology,
    /// 数字化.
    Digital,
    /// 税费.
    Tax,
}

impl From<DimensionArg> for Dimension {
    fn from(d: DimensionArg) -> Dimension {
        match d {
            DimensionArg::Employment => Dimension::Employment,
            DimensionArg::Financing => Dimension::Financing,
            DimensionArg::Technology => Dimension::Technology,
            DimensionArg::Digital => Dimension::Digital,
            DimensionArg::Tax => Dimension::Tax,
        }
    }
}

/// Flags of `zhengce search`.
#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    /// What to look for, in everyday Chinese (e.g. 招大学生有补贴吗). An empty string lists every policy.
    #[arg(value_name = "QUERY")]
    pub query: String,
    /// Only policies of these levels (comma-separated or repeated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub level: Vec<LevelArg>,
    /// Only policies of these dimensions (comma-separated or repeated).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub dimension: Vec<DimensionArg>,
    /// Only policies handled by this county department (exact name, e.g. 税务局).
    #[arg(long, value_name = "DEPT")]
    pub department: Vec<String>,
    /// Only policies in force on the search date.
    #[arg(long)]
    pub in_force: bool,
    /// Maximum number of hits.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// The date in-force status is judged on (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub at: Option<String>,
    /// Search only among policies this enterprise qualifies for (eligible, possible or near miss);
    /// JSON, or RON when the file ends in `.ron`.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
    #[command(flatten)]
    pub corpus: CorpusArgs,
}

/// The search vocabulary from the corpus files; a bad line is bad input (exit 2).
fn search_config(files: &[SourceFile]) -> anyhow::Result<SearchConfig> {
    let (config, errors) = zhengce_corpus::search_config(files);
    if !errors.is_empty() {
        return Err(bad_input(format!("搜索词表有错误：\n{}", errors.join("\n"))));
    }
    Ok(config)
}

/// Matches the profile and turns the verdicts into the allowed set, annotated with the status.
fn within_profile(snapshot: &zhengce_engine::Snapshot, path: &std::path::Path, as_of: Date) -> anyhow::Result<Within> {
    let value = read_profile(path)?;
    let profile = snapshot.parse_profile_json(&value).map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| format!("{}: 字段 `{}`：{}", path.display(), e.field, e.message)).collect();
        bad_input(lines.join("\n"))
    })?;
    let report = snapshot.match_profile(&profile, as_of);
    Ok(Within::from_pairs(
        report
            .results
            .into_iter()
            .filter(|r| matches!(r.status, Status::Eligible | Status::Possible | Status::NearMiss))
            .map(|r| (r.policy, Some(r.status.as_str().to_string()))),
    ))
}

fn status_label(status: &str) -> &'static str {
    match status {
        "eligible" => Status::Eligible.label(),
        "possible" => Status::Possible.label(),
        "near_miss" => Status::NearMiss.label(),
        _ => Status::Ineligible.label(),
    }
}

/// Runs the search.
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub fn run(args: &SearchArgs) -> anyhow::Result<i32> {
    let as_of = parse_at(args.at.as_deref())?;
    if args.limit > MAX_LIMIT {
        return Err(bad_input(format!("--limit {} 太大，最多 {MAX_LIMIT}", args.limit)));
    }
    let files = corpus::files(&args.corpus)?;
    let config = search_config(&files)?;
    let loaded = zhengce_engine::load(files);
    // Same policy as `corpus::load_clean`: files with errors are left out with a warning; matching
    // needs the schema.
    if args.profile.is_some() && loaded.snapshot.schema().is_none() {
        let msgs: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
        return Err(bad_input(format!("规则库无法加载：\n{}", msgs.join("\n"))));
    }
    if !loaded.diagnostics.is_empty() {
        eprintln!("警告：规则库有 {} 个问题，已跳过有问题的文件（运行 zhengce check 查看详情）", loaded.diagnostics.len());
    }
    let snapshot = &loaded.snapshot;
    let mut opts = SearchOptions::new(as_of);
    opts.limit = args.limit;
    opts.levels = args.level.iter().map(|&l| l.into()).collect();
    opts.dimensions = args.dimension.iter().map(|&d| d.into()).collect();
    opts.departments = args.department.clone();
    opts.in_force = args.in_force.then_some(true);
    if let Some(path) = &args.profile {
        opts.within = Some(within_profile(snapshot, path, as_of)?);
    }
    let index = SearchIndex::build(snapshot.policies(), config)?;
    let results = index.search(&args.query, &opts)?;
    match args.format {
        Format::Json => crate::out::line(&serde_json::to_string_pretty(&to_json(&results, as_of, args.profile.is_some()))?),
        Format::Table => crate::out::text(&render_table(&results, as_of, args.profile.is_some())),
    }
    Ok(0)
}

/// The `contracts.md` shape (`query`, `hits[].policy/title/level/score/snippet`) plus the search
/// date, the total, facets, the terms searched and synonym expansions; with a profile each hit
/// carries `status` and `status_label`.
pub fn to_json(results: &SearchResults, as_of: Date, with_profile: bool) -> Value {
    let mut v = serde_json::to_value(results).unwrap_or_else(|_| json!({ "query": results.query, "hits": [] }));
    if let Some(obj) = v.as_object_mut() {
        obj.insert("as_of".into(), json!(as_of.to_string()));
        if let Some(hits) = obj.get_mut("hits").and_then(Value::as_array_mut) {
            for hit in hits.iter_mut().filter_map(Value::as_object_mut) {
                if let Some(Value::String(status)) = hit.remove("annotation") {
                    hit.insert("status_label".into(), json!(status_label(&status)));
                    hit.insert("status".into(), json!(status));
                } else if with_profile {
                    hit.insert("status".into(), Value::Null);
                }
            }
        }
    }
    v
}

/// Snippet HTML → terminal text: highlights as 【】, entities decoded.
fn plain_snippet(html: &str) -> String {
    html.replace("<em>", "【")
        .replace("</em>", "】")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Renders results as a Chinese table.
pub fn render_table(results: &SearchResults, as_of: Date, with_profile: bool) -> String {
    let mut out = format!("搜索：「{}」　日期：{as_of}　共找到 {} 条", results.query.trim(), results.total);
    if with_profile {
        out.push_str("（仅限本企业符合、可能符合或差一点符合的政策）");
    }
    out.push('\n');
    if !results.expansions.is_empty() {
        let exp: Vec<String> = results.expansions.iter().map(|e| format!("{} → {}", e.from, e.to.join("、"))).collect();
        out.push_str(&format!("已按常用说法扩展：{}\n", exp.join("；")));
    }
    if results.hits.is_empty() {
        out.push_str("没有找到相关政策。可以换个说法试试，比如“稳岗返还”“招大学生”“设备更新”“贷款贴息”。\n");
        return out;
    }
    let mut table = Table::new();
    table.load_style(UTF8_FULL).set_content_arrangement(ContentArrangement::Dynamic).set_width(150);
    let mut header = vec!["序号", "政策", "层级", "状态"];
    if with_profile {
        header.push("本企业");
    }
    header.extend(["主管部门", "摘要"]);
    table.set_header(header);
    for (i, h) in results.hits.iter().enumerate() {
        let mut state = h.validity_label.to_string();
        if let Some(badge) = h.badge {
            state.push_str(&format!("\n{badge}"));
        }
        let mut row = vec![(i + 1).to_string(), format!("{}\n{}", h.title, h.policy), h.level.label().to_string(), state];
        if with_profile {
            row.push(h.annotation.as_deref().map_or("—", status_label).to_string());
        }
        row.push(h.department.clone());
        row.push(plain_snippet(&h.snippet));
        table.add_row(row);
    }
    out.push_str(&table.to_string());
    out.push('\n');
    let facet = |name: &str, items: &[zhengce_search::FacetCount]| {
        let parts: Vec<String> = items.iter().filter(|f| f.count > 0).map(|f| format!("{} {}", f.label, f.count)).collect();
        if parts.is_empty() { String::new() } else { format!("{name}：{}\n", parts.join("，")) }
    };
    out.push_str(&facet("按层级", &results.facets.level));
    out.push_str(&facet("按领域", &results.facets.dimension));
    out.push_str(&facet("按有效性", &results.facets.in_force));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_to_plain_text() {
        assert_eq!(plain_snippet("a<em>稳岗</em>&lt;b&gt;&amp;"), "a【稳岗】<b>&");
    }
}

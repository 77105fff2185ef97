//! `zhengce check`: validate the corpus and run every rule example.

use zhengce_engine::Code;

use crate::corpus::{self, CorpusArgs};

/// Flags of `zhengce check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The date for the expiry list (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    at: Option<String>,
    #[command(flatten)]
    corpus: CorpusArgs,
}

/// Runs the check; exit status 2 when anything is wrong.
pub fn run(args: &CheckArgs) -> anyhow::Result<i32> {
    let loaded = corpus::load(&args.corpus)?;
    let snap = &loaded.snapshot;
    for d in &loaded.diagnostics {
        eprintln!("{d}");
    }
    let rules = snap.rules().map_or(0, |r| r.rules.len());
    let examples: usize = snap.rules().map_or(0, |r| r.rules.iter().map(|x| x.examples.len()).sum());
    let failed_examples =
        loaded.diagnostics.iter().filter(|d| matches!(d.code, Code::ExampleProfile | Code::ExampleFailed)).count();
    crate::out::line(&format!(
        "政策 {} 个，规则 {} 个，示例 {} 个（通过 {}）",
        snap.policies().len(),
        rules,
        examples,
        examples.saturating_sub(failed_examples)
    ));
    for (what, label) in [("level", "按层级"), ("dimension", "按维度"), ("confidence", "按可信度"), ("marking", "按标记")]
    {
        if let Some(m) = snap.counts().get(what) {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
            crate::out::line(&format!("{label}：{}", parts.join("，")));
        }
    }
    let as_of = crate::cmd_match::parse_at(args.at.as_deref())?;
    let years = snap.in_force_by_year(as_of.year() - 2..=as_of.year() + 1);
    crate::out::line("按年度在施（该年内任一天有效的惠企政策，不含历史和渠道类）：");
    for (y, by_confidence) in &years {
        let parts: Vec<String> = by_confidence.iter().map(|(k, v)| format!("{k} {v}")).collect();
        crate::out::line(&format!("  {y} 年 {}（{}）", by_confidence.values().sum::<usize>(), parts.join("，")));
    }
    crate::out::line(&format!("规则库版本 {}", &snap.version()[..16]));
    let expired = snap.expired_without_successor(as_of);
    if !expired.is_empty() {
        crate::out::line(&format!("已到期、待续期（{as_of} 前12个月内到期，语料中没有后续政策）："));
        for p in expired {
            let to = p.meta.effective_to.map(|d| d.to_string()).unwrap_or_default();
            crate::out::line(&format!("  {} {}（{to} 到期）", p.meta.slug, p.meta.title));
        }
    }
    if loaded.diagnostics.is_empty() {
        crate::out::line("检查通过");
        Ok(0)
    } else {
        crate::out::line(&format!("发现 {} 个问题", loaded.diagnostics.len()));
        Ok(2)
    }
}

//! A record in force ranks above the record it renews (`supersedes`) for the same words.

use zhengce_model::Date;
use zhengce_model::policy::{Policy, parse_policy};
use zhengce_search::{SearchIndex, SearchOptions};

use crate::common;

fn policy(slug: &str, extra: &str, title: &str, tags: &str, from: &str, to: &str, body: &str) -> Policy {
    let text = format!(
        "+++\nslug = \"{slug}\"\ntitle = \"{title}\"\nlevel = \"national\"\nissuers = [\"某部门\"]\n\
         department = \"人力资源和社会保障局\"\ndimensions = [\"employment\"]\ntags = [{tags}]\n{extra}\
         effective_from = \"{from}\"\neffective_to = \"{to}\"\nbenefit_summary = \"按比例返还\"\nconfidence = \"S\"\n\
         marking = \"official\"\nkind = \"benefit\"\nevaluable = true\n[[sources]]\nid = \"R1\"\ntitle = \"来源\"\n+++\n\n{body}\n"
    );
    parse_policy(&format!("policies/{slug}.md"), &text).unwrap_or_else(|d| panic!("{slug}: {d:?}"))
}

fn order(index: &SearchIndex, query: &str, at: &str) -> Vec<String> {
    let as_of: Date = at.parse().expect("date");
    index.search(query, &SearchOptions::new(as_of)).expect("search runs").hits.into_iter().map(|h| h.policy).collect()
}

#[test]
fn the_renewal_in_force_ranks_above_the_record_it_replaced() {
    // The 2025 record matches the words far better (title, tags, body) than its 2026 renewal,
    // whose text says little: by score alone the expired one would come first.
    let old = policy(
        "refund-2025",
        "",
        "失业保险稳岗返还",
        "\"稳岗返还\", \"失业保险\"",
        "2025-01-01",
        "2025-12-31",
        "## 政策要点\n\n失业保险稳岗返还，稳岗返还按上年失业保险费返还。",
    );
    let new = policy(
        "refund-2026",
        "supersedes = \"refund-2025\"\n",
        "援企政策（2026年）",
        "\"援企\"",
        "2026-01-01",
        "2026-12-31",
        "## 政策要点\n\n2026年继续实施稳岗返还。",
    );
    let other = policy("other", "", "其他就业补贴", "\"招工\"", "2025-01-01", "2026-12-31", "## 政策要点\n\n与稳岗无关。");
    let index = SearchIndex::build(&[old, new, other], common::config()).expect("index builds");
    assert_eq!(order(&index, "稳岗返还", "2026-06-01")[..2], ["refund-2026", "refund-2025"]);
    // Before the renewal is in force, the 2025 record is the one that applies and stays first.
    let before = order(&index, "稳岗返还", "2025-06-01");
    assert_eq!(before[0], "refund-2025");
    assert!(before.iter().position(|s| s == "refund-2026") > Some(0), "{before:?}");
}

#[test]
fn the_bundled_2026_renewals_rank_above_their_2025_records() {
    let index = common::index();
    for (query, new, old) in [
        ("稳岗返还", "cn-ui-job-retention-refund-2026", "cn-ui-job-retention-refund-2025"),
        ("招大学生有补贴吗", "cn-one-time-job-expansion-subsidy-2026", "cn-one-time-job-expansion-subsidy"),
    ] {
        let hits = order(&index, query, "2026-06-01");
        let pos = |slug: &str| hits.iter().position(|h| h == slug).unwrap_or(usize::MAX);
        assert!(pos(new) < pos(old), "{query}: {new} should rank above {old}: {hits:?}");
    }
}

//! Ranking, filters, facets, "within" restriction and snippets on a small inline corpus.

use zhengce_model::Date;
use zhengce_model::policy::{Dimension, Level, Policy, parse_policy};
use zhengce_search::{SearchConfig, SearchIndex, SearchOptions, Validity, Within};

#[allow(clippy::too_many_arguments)]
fn policy(
    slug: &str,
    title: &str,
    level: &str,
    dept: &str,
    dims: &str,
    tags: &str,
    to: Option<&str>,
    marking: &str,
    summary: &str,
    body: &str,
) -> Policy {
    let to = to.map(|d| format!("effective_to = \"{d}\"\n")).unwrap_or_default();
    let text = format!(
        "+++\nslug = \"{slug}\"\ntitle = \"{title}\"\nlevel = \"{level}\"\nissuers = [\"某部门\"]\ndepartment = \"{dept}\"\n\
         dimensions = [{dims}]\ntags = [{tags}]\neffective_from = \"2020-01-01\"\n{to}benefit_summary = \"{summary}\"\n\
         confidence = \"V\"\nmarking = \"{marking}\"\nkind = \"benefit\"\nevaluable = true\n\
         [[sources]]\nid = \"R1\"\ntitle = \"来源\"\n+++\n\n{body}\n"
    );
    match parse_policy(&format!("policies/{slug}.md"), &text) {
        Ok(p) => p,
        Err(d) => panic!("{slug}: {d:?}"),
    }
}

fn corpus() -> Vec<Policy> {
    vec![
        policy(
            "refund",
            "失业保险稳岗返还",
            "national",
            "人力资源和社会保障局",
            "\"employment\"",
            "\"稳岗返还\", \"社保返还\"",
            Some("2025-12-31"),
            "official",
            "中小微企业返还上年度失业保险费的60%",
            "## 政策要点\n\n企业不裁员或少裁员的，可以申请稳岗返还。\n\n## 办理方式\n\n免申即享。",
        ),
        policy(
            "refund-old",
            "稳岗返还（2020年）",
            "province",
            "人力资源和社会保障局",
            "\"employment\"",
            "\"稳岗返还\"",
            Some("2020-12-31"),
            "historical",
            "2020年的稳岗返还",
            "## 政策要点\n\n2020年稳岗返还，已经到期。",
        ),
        policy(
            "expansion",
            "一次性扩岗补助",
            "national",
            "人力资源和社会保障局",
            "\"employment\"",
            "\"扩岗\", \"招大学生\"",
            Some("2025-12-31"),
            "official",
            "每招一名高校毕业生补助1500元",
            "## 政策要点\n\n招用高校毕业生并缴纳社保的企业，可以领取一次性扩岗补助。",
        ),
        policy(
            "loan",
            "技改专项贷贴息",
            "province",
            "工业和信息化局",
            "\"financing\", \"technology\"",
            "\"技改专项贷\", \"贴息\"",
            None,
            "draft",
            "贷款贴息最高2000万元",
            "## 政策要点\n\n技术改造项目贷款给予贴息，稳定企业投资。",
        ),
        policy(
            "tax",
            "小型微利企业所得税优惠",
            "national",
            "税务局",
            "\"tax\"",
            "\"小型微利企业\"",
            None,
            "official",
            "实际税负5%",
            "## 政策要点\n\n小型微利企业所得税减按25%计入应纳税所得额。",
        ),
    ]
}

fn index() -> SearchIndex {
    let (cfg, errors) = SearchConfig::parse(
        "社保返还 不裁员 => 稳岗返还\n大学生 => 高校毕业生\n买设备 => 技术改造\n",
        "稳岗返还 稳岗 返还\n技改专项贷 技改 专项贷\n一次性扩岗补助 一次性 扩岗 补助\n",
    );
    assert!(errors.is_empty());
    match SearchIndex::build(&corpus(), cfg) {
        Ok(i) => i,
        Err(e) => panic!("{e}"),
    }
}

fn as_of() -> Date {
    Date::new(2025, 6, 1).unwrap_or_else(|| unreachable!())
}

fn slugs(index: &SearchIndex, q: &str, opts: &SearchOptions) -> Vec<String> {
    match index.search(q, opts) {
        Ok(r) => r.hits.into_iter().map(|h| h.policy).collect(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn subword_colloquial_and_traditional_queries() {
    let index = index();
    let opts = SearchOptions::new(as_of());
    assert_eq!(slugs(&index, "稳岗", &opts).first().map(String::as_str), Some("refund"));
    assert_eq!(slugs(&index, "社保返还", &opts).first().map(String::as_str), Some("refund"));
    assert_eq!(slugs(&index, "穩崗返還", &opts).first().map(String::as_str), Some("refund"));
    assert_eq!(slugs(&index, "招大学生有补贴吗", &opts).first().map(String::as_str), Some("expansion"));
    assert_eq!(slugs(&index, "技改", &opts).first().map(String::as_str), Some("loan"));
    // Not a phrase: words apart in the text still match.
    assert_eq!(slugs(&index, "稳岗资金", &opts).first().map(String::as_str), Some("refund"));
}

#[test]
fn expired_policies_rank_below_current_ones_and_are_labelled() {
    let index = index();
    let r = index.search("稳岗返还", &SearchOptions::new(as_of())).unwrap_or_else(|e| panic!("{e}"));
    let pos = |s: &str| r.hits.iter().position(|h| h.policy == s);
    assert!(pos("refund") < pos("refund-old"), "{:?}", r.hits);
    let old = &r.hits[pos("refund-old").unwrap_or(0)];
    assert!(!old.in_force);
    assert_eq!(old.validity, Validity::Expired);
    assert_eq!(old.validity_label, "已到期");
    assert_eq!(old.badge, Some("历史政策"));
    // A year later the 2025 policy has expired as well.
    let later = Date::new(2026, 3, 1).unwrap_or_else(|| unreachable!());
    let r = index.search("稳岗返还", &SearchOptions::new(later)).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.hits.iter().all(|h| !h.in_force));
    // Draft badge.
    let r = index.search("技改", &SearchOptions::new(as_of())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.hits[0].badge, Some("草案/待核实"));
}

#[test]
fn filters_and_facets() {
    let index = index();
    let mut opts = SearchOptions::new(as_of());
    opts.levels = vec![Level::National];
    let r = index.search("", &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.total, 3);
    assert!(r.hits.iter().all(|h| h.level == Level::National));
    // The level facet ignores the level filter itself; the others respect it.
    let count = |v: &[zhengce_search::FacetCount], k: &str| v.iter().find(|f| f.value == k).map_or(0, |f| f.count);
    assert_eq!(count(&r.facets.level, "national"), 3);
    assert_eq!(count(&r.facets.level, "province"), 2);
    assert_eq!(count(&r.facets.dimension, "employment"), 2);
    assert_eq!(count(&r.facets.dimension, "financing"), 0);
    assert_eq!(count(&r.facets.department, "税务局"), 1);
    assert_eq!(r.facets.level.len(), 4);
    assert_eq!(r.facets.dimension.len(), 5);

    let mut opts = SearchOptions::new(as_of());
    opts.dimensions = vec![Dimension::Technology];
    assert_eq!(slugs(&index, "", &opts), vec!["loan"]);
    opts.dimensions = vec![Dimension::Employment];
    opts.in_force = Some(true);
    let got = slugs(&index, "稳岗返还", &opts);
    assert_eq!(got, vec!["refund"]);
    opts.in_force = Some(false);
    assert_eq!(slugs(&index, "稳岗返还", &opts), vec!["refund-old"]);
    let mut opts = SearchOptions::new(as_of());
    opts.departments = vec!["税务局".into()];
    assert_eq!(slugs(&index, "企业", &opts), vec!["tax"]);
    let r = index.search("稳岗返还", &SearchOptions::new(as_of())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count(&r.facets.in_force, "true"), 1);
    assert_eq!(count(&r.facets.in_force, "false"), 1);
}

#[test]
fn within_restricts_and_annotates() {
    let index = index();
    let mut opts = SearchOptions::new(as_of());
    opts.within = Some(Within::from_pairs([("expansion", Some("eligible".to_string())), ("tax", None)]));
    let r = index.search("", &opts).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(&str, Option<&str>)> = r.hits.iter().map(|h| (h.policy.as_str(), h.annotation.as_deref())).collect();
    assert_eq!(got, vec![("expansion", Some("eligible")), ("tax", None)]);
    let r = index.search("稳岗返还", &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.hits.iter().all(|h| h.policy != "refund"), "refund is outside the allowed set");
    opts.within = Some(Within::default());
    assert_eq!(index.search("", &opts).map(|r| r.total).unwrap_or(99), 0);
}

#[test]
fn snippets_highlight_terms() {
    let index = index();
    let r = index.search("不裁员", &SearchOptions::new(as_of())).unwrap_or_else(|e| panic!("{e}"));
    let top = &r.hits[0];
    assert_eq!(top.policy, "refund");
    assert!(top.snippet.contains("<em>"), "{}", top.snippet);
    let mut opts = SearchOptions::new(as_of());
    opts.snippets = false;
    let r = index.search("不裁员", &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.hits.iter().all(|h| h.snippet.is_empty()));
}

#[test]
fn json_shape_matches_the_contract() {
    let index = index();
    let r = index.search("稳岗", &SearchOptions::new(as_of())).unwrap_or_else(|e| panic!("{e}"));
    let v = serde_json::to_value(&r).unwrap_or_default();
    assert_eq!(v["query"], "稳岗");
    let hit = &v["hits"][0];
    for key in ["policy", "title", "level", "score", "snippet", "in_force", "validity_label"] {
        assert!(hit.get(key).is_some(), "missing {key} in {hit}");
    }
    assert_eq!(hit["level"], "national");
    assert!(hit.get("annotation").is_none());
}

#[test]
fn paging() {
    let index = index();
    let mut opts = SearchOptions::new(as_of());
    opts.limit = 2;
    let first = slugs(&index, "", &opts);
    opts.offset = 2;
    let second = slugs(&index, "", &opts);
    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 2);
    assert!(first.iter().all(|s| !second.contains(s)));
    opts.offset = 100;
    assert!(slugs(&index, "", &opts).is_empty());
}

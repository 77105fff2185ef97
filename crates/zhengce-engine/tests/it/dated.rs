//! Criteria that change on a date (`Dated`), parameters shared by several rules
//! (`rules/shared-params.ron`), and successor links (`supersedes`).

use zhengce_engine::{Loaded, Snapshot, SourceFile};
use zhengce_model::verdict::Status;

const SCHEMA: &str = r#"Schema(fields: [
    (name: "revenue", type: Money, label: "营业收入", unit: "万元", dimension: "size", question: "收入多少？"),
    (name: "layoff_rate", type: Ratio, label: "裁员率", unit: "", dimension: "employment", question: "裁员率？"),
])
"#;

const DERIVED: &str = "Derived(facts: [])\n";

const POLICY: &str = r#"+++
slug = "demo-title"
title = "示例称号"
level = "national"
issuers = ["示例机关"]
department = "工业和信息化局"
dimensions = ["technology"]
effective_from = "2022-01-01"
benefit_summary = "示例"
confidence = "S"
marking = "sample"
kind = "benefit"
evaluable = true

[[sources]]
id = "T1"
title = "测试"
+++

示例正文。
"#;

/// Revenue of at least 1000 (2022 criteria) until 2026-03-31, at least 1500 from 2026-04-01.
const RULE: &str = r#"Rule(
    policy: "demo-title",
    eligibility: Dated([
        (from: "2022-01-01", to: "2026-03-31", source: "2022年办法", cond: Check("revenue >= 1000")),
        (from: "2026-04-01", source: "2026年办法", cond: Named("营收达标", Check("revenue >= 1500"))),
    ]),
    examples: [
        Example(name: "旧标准最后一天", as_of: "2026-03-31", profile: {"revenue": 1200}, expect: Eligible),
        Example(name: "新标准第一天", as_of: "2026-04-01", profile: {"revenue": 1200}, expect: Ineligible),
    ],
)
"#;

fn load(extra: &[(&str, &str)]) -> Loaded {
    let mut base = vec![
        ("rules/schema.ron", SCHEMA),
        ("rules/derived.ron", DERIVED),
        ("policies/demo-title.md", POLICY),
        ("rules/demo-title.ron", RULE),
    ];
    for (path, text) in extra {
        match base.iter_mut().find(|(p, _)| p == path) {
            Some(slot) => slot.1 = text,
            None => base.push((path, text)),
        }
    }
    zhengce_engine::load(base.into_iter().map(|(p, t)| SourceFile { path: p.into(), text: t.into() }).collect())
}

fn diags(extra: &[(&str, &str)]) -> Vec<String> {
    load(extra).diagnostics.iter().map(ToString::to_string).collect()
}

fn status(s: &Snapshot, slug: &str, profile: serde_json::Value, at: &str) -> (Status, Vec<String>) {
    let p = s.parse_profile_json(&profile).expect("valid profile");
    let r = s.match_policy(slug, &p, at.parse().expect("date")).expect("policy has a rule");
    (r.status, r.reasons.iter().map(|x| x.text.clone()).collect())
}

#[test]
fn dated_criteria_apply_by_date_and_say_which() {
    let loaded = load(&[]);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let s = &loaded.snapshot;
    let (st, why) = status(s, "demo-title", serde_json::json!({"revenue": 1200}), "2026-03-31");
    assert_eq!(st, Status::Eligible);
    assert_eq!(why[0], "适用标准：2022年办法（2022-01-01至2026-03-31）");
    let (st, why) = status(s, "demo-title", serde_json::json!({"revenue": 1200}), "2026-04-01");
    assert_eq!(st, Status::Ineligible);
    assert_eq!(why[0], "适用标准：2026年办法（2026-04-01起）");
    assert_eq!(why[1], "营收达标（营业收入 1200万元，不满足 ≥ 1500万元）");
    let (st, _) = status(s, "demo-title", serde_json::json!({"revenue": 1600}), "2026-04-01");
    assert_eq!(st, Status::Eligible);
    // Before the first period the policy is not in force; the criteria are unknown, never met.
    let (st, why) = status(s, "demo-title", serde_json::json!({"revenue": 1600}), "2021-06-01");
    assert_eq!((st, why[0].as_str()), (Status::Possible, "2021-06-01 没有适用的认定标准"));
}

#[test]
fn e006_dated_criteria_with_a_gap_an_overlap_or_short_of_the_policy() {
    let gap = RULE.replace(r#"(from: "2026-04-01", source"#, r#"(from: "2026-05-01", source"#);
    assert_eq!(
        diags(&[("rules/demo-title.ron", &gap)]),
        ["rules/demo-title.ron:4:56: E006 dated criteria: gap between 2026-03-31 and 2026-05-01"]
    );
    let overlap = RULE.replace(r#"(from: "2026-04-01", source"#, r#"(from: "2026-03-01", source"#);
    assert_eq!(
        diags(&[("rules/demo-title.ron", &overlap)]),
        ["rules/demo-title.ron:4:56: E006 dated criteria: criteria periods from 2022-01-01 and 2026-03-01 overlap"]
    );
    let short = RULE.replace(r#"(from: "2026-04-01", source"#, r#"(from: "2026-04-01", to: "2026-12-31", source"#);
    assert_eq!(
        diags(&[("rules/demo-title.ron", &short)]),
        ["rules/demo-title.ron:4:56: E006 dated criteria ends on 2026-12-31 but the policy is in force until further notice"]
    );
}

const SHARED: &str = r#"SharedParams(params: {
    "target_rate": [
        (from: "2025-01-01", to: "2025-12-31", value: 0.055, source: "甲文件"),
        (from: "2026-01-01", to: "2026-12-31", value: 0.05, source: "乙文件"),
    ],
})
"#;

const REFUND_POLICY: &str = r#"+++
slug = "demo-refund-2026"
title = "示例返还"
level = "national"
issuers = ["示例机关"]
department = "人力资源和社会保障局"
dimensions = ["employment"]
effective_from = "2025-01-01"
effective_to = "2026-12-31"
benefit_summary = "示例"
confidence = "S"
marking = "sample"
kind = "benefit"
evaluable = true

[[sources]]
id = "T1"
title = "测试"
+++

示例正文。
"#;

const REFUND_RULE: &str = r#"Rule(
    policy: "demo-refund-2026",
    eligibility: Check("layoff_rate <= target_rate"),
)
"#;

#[test]
fn shared_parameters_are_defined_once_and_used_by_name() {
    let extra = [
        ("rules/shared-params.ron", SHARED),
        ("policies/demo-refund-2026.md", REFUND_POLICY),
        ("rules/demo-refund-2026.ron", REFUND_RULE),
    ];
    let loaded = load(&extra);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let s = &loaded.snapshot;
    let p = serde_json::json!({"layoff_rate": 0.052});
    assert_eq!(status(s, "demo-refund-2026", p.clone(), "2025-06-01").0, Status::Eligible);
    assert_eq!(status(s, "demo-refund-2026", p, "2026-06-01").0, Status::Ineligible);
    // The rule's criteria show the shared parameter it uses, with its sources; other rules do not.
    let c = s.criteria("demo-refund-2026").expect("criteria");
    assert_eq!(c.parameters.len(), 1);
    assert_eq!((c.parameters[0].name, c.parameters[0].values[1].source.as_str()), ("target_rate", "乙文件"));
    assert!(s.criteria("demo-title").expect("criteria").parameters.is_empty());

    // Redefining it in a rule is refused; a shared value that does not cover the policy is E006.
    let redefined = REFUND_RULE.replace(
        "eligibility",
        r#"params: {"target_rate": [(from: "2025-01-01", to: "2026-12-31", value: 0.05, source: "抄写")]},
    eligibility"#,
    );
    let d = diags(&[extra[0], extra[1], ("rules/demo-refund-2026.ron", &redefined)]);
    assert_eq!(
        d,
        [
            "rules/demo-refund-2026.ron:3:14: E009 parameter `target_rate` is already defined in rules/shared-params.ron; use that one"
        ]
    );
    let short = SHARED.replace(r#"to: "2026-12-31""#, r#"to: "2026-06-30""#);
    let d = diags(&[("rules/shared-params.ron", &short), extra[1], extra[2]]);
    assert_eq!(
        d,
        [
            "rules/demo-refund-2026.ron:3:40: E006 parameter `target_rate` ends on 2026-06-30 but the policy is in force until 2026-12-31 (rules/shared-params.ron)"
        ]
    );
    let gap = SHARED.replace(r#"from: "2026-01-01""#, r#"from: "2026-02-01""#);
    let d = diags(&[("rules/shared-params.ron", &gap), extra[1], extra[2]]);
    assert_eq!(d, ["rules/shared-params.ron:2:5: E006 parameter `target_rate`: gap between 2025-12-31 and 2026-02-01"]);
}

#[test]
fn supersedes_must_name_an_existing_policy() {
    let renewal =
        REFUND_POLICY.replace("slug = \"demo-refund-2026\"", "slug = \"demo-refund-2026\"\nsupersedes = \"demo-refund-2025\"");
    let d = diags(&[
        ("policies/demo-refund-2026.md", &renewal),
        ("rules/demo-refund-2026.ron", REFUND_RULE),
        ("rules/shared-params.ron", SHARED),
    ]);
    assert_eq!(d, ["policies/demo-refund-2026.md:3:1: E004 `supersedes` names policy `demo-refund-2025`, which does not exist"]);
}

/// The bundled corpus on 2026-11-29: the 2026 calls of 小巨人 and 科技型中小企业 are closed (the
/// records stay for 2027), the 2025 records renewed in 2026 are not in the expired-without-successor
/// list, and those with no 2026 document are.
#[test]
fn bundled_corpus_2026_windows_and_successors() {
    use zhengce_engine::WindowState;
    let loaded = crate::common::corpus();
    let s = &loaded.snapshot;
    let today = "2026-11-29".parse().expect("date");
    let profile = s.parse_profile_json(&serde_json::json!({"region": "370830"})).expect("profile");
    for slug in ["cn-little-giant", "cn-tech-sme-evaluation"] {
        let r = s.match_policy(slug, &profile, today).expect("rule");
        assert_eq!(r.application.state, WindowState::Closed, "{slug}");
    }
    let at = |d: &str| s.match_policy("cn-tech-sme-evaluation", &profile, d.parse().expect("date")).expect("rule");
    assert_eq!(at("2026-06-01").application.state, WindowState::Open);
    let expired: Vec<&str> = s.expired_without_successor(today).iter().map(|p| p.meta.slug.as_str()).collect();
    for renewed in ["cn-ui-job-retention-refund-2025", "cn-one-time-job-expansion-subsidy"] {
        assert!(!expired.contains(&renewed), "{renewed} has a 2026 successor: {expired:?}");
    }
    for gap in ["sd-ui-job-retention-refund-2025", "cn-ui-premium-rate-1pct", "cn-ui-refund-uplift-2025"] {
        assert!(expired.contains(&gap), "{gap} has no 2026 document: {expired:?}");
    }
    // The 2025 records are never matched after their period; the 2026 ones take their place.
    let slugs = |d: &str| -> Vec<String> {
        s.match_profile(&profile, d.parse().expect("date")).results.into_iter().map(|r| r.policy).collect()
    };
    let (y25, y26) = (slugs("2025-06-01"), slugs("2026-06-01"));
    assert!(
        y25.iter().any(|p| p == "cn-ui-job-retention-refund-2025") && !y25.iter().any(|p| p == "cn-ui-job-retention-refund-2026")
    );
    assert!(
        y26.iter().any(|p| p == "cn-ui-job-retention-refund-2026") && !y26.iter().any(|p| p == "cn-ui-job-retention-refund-2025")
    );
}

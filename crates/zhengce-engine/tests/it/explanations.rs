//! Snapshot tests of the Chinese explanations for the starter policies.

use crate::common;

use std::fmt::Write as _;

use zhengce_model::verdict::{Outcome, PolicyResult};

fn render(r: &PolicyResult) -> String {
    let mut s = format!("{}（{}）：{}\n", r.title, r.policy, r.status.as_str());
    for x in &r.reasons {
        let mark = match x.outcome {
            _ if x.settled => "·",
            Outcome::Pass => "✓",
            Outcome::Fail => "✗",
            Outcome::Unknown => "?",
        };
        let _ = writeln!(s, "{}{mark} {}", "  ".repeat(x.depth), x.text);
    }
    for m in &r.missing {
        let _ = writeln!(s, "缺少 {}：{}", m.field, m.question);
    }
    for g in &r.gaps {
        let _ = writeln!(s, "差距 {}：{}（当前 {}，要求 {}）", g.field, g.text, g.current, g.required);
    }
    if let Some(b) = &r.benefit {
        let _ = writeln!(s, "金额 {} 万元：{}", b.amount_wan, b.text);
    }
    s
}

fn explain(profile: &str, slug: &str, at: &str) -> String {
    let loaded = common::corpus();
    let value: serde_json::Value = serde_json::from_str(profile).unwrap();
    let p = loaded.snapshot.parse_profile_json(&value).unwrap();
    let r = loaded.snapshot.match_policy(slug, &p, at.parse().unwrap()).unwrap();
    render(&r)
}

const SME: &str = include_str!("../../../../tests/fixtures/profiles/wenshang-garment-sme.json");
const LARGE: &str = include_str!("../../../../tests/fixtures/profiles/wenshang-textile-large.json");

#[test]
fn job_retention_refund_for_a_garment_sme() {
    insta::assert_snapshot!(explain(SME, "cn-ui-job-retention-refund-2025", "2025-06-01"));
}

#[test]
fn job_retention_refund_for_a_large_textile_firm() {
    insta::assert_snapshot!(explain(LARGE, "cn-ui-job-retention-refund-2025", "2025-06-01"));
}

#[test]
fn job_retention_refund_near_miss_and_possible() {
    let near = r#"{"industry_code": "1811", "employees": 130, "revenue": 5200, "insured_employees": 113,
        "insured_employees_start": 120, "layoffs": 7, "ui_paid_months": 24, "ui_premium_paid": 15.0, "serious_dishonesty": false}"#;
    insta::assert_snapshot!(explain(near, "cn-ui-job-retention-refund-2025", "2025-06-01"));
    let partial = r#"{"industry_code": "1811", "ui_paid_months": 20, "insured_employees": 80}"#;
    insta::assert_snapshot!(explain(partial, "cn-ui-job-retention-refund-2025", "2025-06-01"));
    // Contribution months are something the firm can act on: a near miss that says what to do.
    // (The layoff rate above is last year's fact: missing it by a little is not a near miss.)
    let months = r#"{"industry_code": "1811", "employees": 130, "revenue": 5200, "insured_employees": 118,
        "insured_employees_start": 120, "layoffs": 2, "ui_paid_months": 11, "ui_premium_paid": 15.0, "serious_dishonesty": false}"#;
    insta::assert_snapshot!(explain(months, "cn-ui-job-retention-refund-2025", "2025-06-01"));
}

#[test]
fn small_low_profit_income_tax() {
    insta::assert_snapshot!(explain(SME, "cn-small-low-profit-cit", "2025-06-01"));
    insta::assert_snapshot!(explain(LARGE, "cn-small-low-profit-cit", "2025-06-01"));
}

#[test]
fn high_tech_enterprise_certification() {
    insta::assert_snapshot!(explain(SME, "cn-hnte-certification", "2025-06-01"));
    insta::assert_snapshot!(explain(LARGE, "cn-hnte-certification", "2025-06-01"));
}

#[test]
fn derived_facts_alone_equal_the_match_reports() {
    let snap = common::corpus().snapshot;
    for text in [SME, LARGE] {
        let profile = snap.parse_profile_json(&serde_json::from_str(text).unwrap()).unwrap();
        let at = "2025-06-01".parse().unwrap();
        let derived = snap.derived_facts(&profile, at);
        assert_eq!(derived, snap.match_profile(&profile, at).derived);
        assert!(derived.contains_key("size_class"));
    }
}

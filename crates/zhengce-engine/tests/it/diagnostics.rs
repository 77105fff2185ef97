//! One broken corpus per diagnostic code, asserting file, line, column and message.

use crate::common;

use zhengce_engine::SourceFile;
use zhengce_model::verdict::NoteKind;

const SCHEMA: &str = r#"Schema(fields: [
    (name: "employees", type: Count, label: "从业人员", unit: "人", dimension: "size", question: "多少人？"),
    (name: "revenue", type: Money, label: "营业收入", unit: "万元", dimension: "size", question: "收入多少？"),
    (name: "ownership", type: Enum([("private", "民营"), ("state", "国有")]), label: "所有制", unit: "", dimension: "identity", question: "所有制？"),
])
"#;

const DERIVED: &str = r#"Derived(facts: [
    (name: "revenue_per_head", type: Number, label: "人均收入", unit: "万元", expr: "revenue / employees"),
])
"#;

const POLICY: &str = r#"+++
slug = "demo-policy"
title = "示例政策"
level = "national"
issuers = ["示例机关"]
department = "工业和信息化局"
dimensions = ["technology"]
effective_from = "2025-01-01"
effective_to = "2025-12-31"
benefit_summary = "示例"
confidence = "V"
marking = "sample"
kind = "benefit"
evaluable = true

[[sources]]
id = "T1"
title = "测试"
+++

示例正文。
"#;

const RULE: &str = r#"Rule(
    policy: "demo-policy",
    params: {
        "min_employees": [(from: "2025-01-01", to: "2025-12-31", value: 10, source: "测试")],
    },
    eligibility: All([
        Check("employees >= min_employees"),
    ]),
)
"#;

fn files(replace: &[(&str, &str)]) -> Vec<SourceFile> {
    let mut base = vec![
        ("rules/schema.ron", SCHEMA),
        ("rules/derived.ron", DERIVED),
        ("policies/demo-policy.md", POLICY),
        ("rules/demo-policy.ron", RULE),
    ];
    for (path, text) in replace {
        match base.iter_mut().find(|(p, _)| p == path) {
            Some(slot) => slot.1 = text,
            None => base.push((path, text)),
        }
    }
    base.into_iter().map(|(p, t)| SourceFile { path: p.to_string(), text: t.to_string() }).collect()
}

fn diags(replace: &[(&str, &str)]) -> Vec<String> {
    zhengce_engine::load(files(replace)).diagnostics.iter().map(ToString::to_string).collect()
}

#[test]
fn the_base_corpus_is_clean() {
    assert_eq!(diags(&[]), Vec::<String>::new());
}

#[test]
fn e001_syntax() {
    let rule = RULE.replace("Check(\"employees >= min_employees\"),", "Check(\"employees >= min_employees\",");
    assert_eq!(diags(&[("rules/demo-policy.ron", &rule)]), ["rules/demo-policy.ron:7:44: E001 Expected closing `)`"]);
}

#[test]
fn e002_unknown_name_with_suggestion() {
    let rule = RULE.replace("employees >= min", "employes >= min");
    assert_eq!(
        diags(&[("rules/demo-policy.ron", &rule)]),
        [
            "rules/demo-policy.ron:7:16: E002 unknown name `employes`: not a profile field, derived fact or parameter; did you mean `employees`?"
        ]
    );
}

#[test]
fn e003_type_mismatch() {
    let rule = RULE.replace("employees >= min_employees", "ownership == 'privat' and employees >= min_employees");
    assert_eq!(
        diags(&[("rules/demo-policy.ron", &rule)]),
        ["rules/demo-policy.ron:7:29: E003 'privat' is not one of private, state; did you mean 'private'?"]
    );
    let rule = RULE.replace("employees >= min_employees", "ownership >= 3");
    assert_eq!(
        diags(&[("rules/demo-policy.ron", &rule)]),
        ["rules/demo-policy.ron:7:16: E003 cannot order a text against a number"]
    );
}

#[test]
fn e004_unknown_policy() {
    let rule = RULE.replace("policy: \"demo-policy\"", "policy: \"demo-polcy\"");
    let d = diags(&[("rules/demo-policy.ron", &rule)]);
    assert!(d.contains(&"rules/demo-policy.ron:2:13: E004 rule names policy `demo-polcy`, which does not exist in policies/; did you mean `demo-policy`?".to_string()), "{d:?}");
}

#[test]
fn e005_derived_cycle() {
    let derived = r#"Derived(facts: [
    (name: "a", type: Number, label: "甲", expr: "b + 1"),
    (name: "b", type: Number, label: "乙", expr: "a * 2"),
])
"#;
    assert_eq!(diags(&[("rules/derived.ron", derived)]), ["rules/derived.ron:2:6: E005 derived facts form a cycle: a -> b -> a"]);
}

#[test]
fn e006_param_periods() {
    let rule = RULE.replace(
        r#"[(from: "2025-01-01", to: "2025-12-31", value: 10, source: "测试")]"#,
        r#"[(from: "2025-01-01", to: "2025-06-30", value: 10, source: "测试"), (from: "2025-08-01", to: "2025-12-31", value: 12, source: "测试")]"#,
    );
    assert_eq!(
        diags(&[("rules/demo-policy.ron", &rule)]),
        ["rules/demo-policy.ron:4:9: E006 parameter `min_employees`: gap between 2025-06-30 and 2025-08-01"]
    );
    let rule = RULE.replace(r#"to: "2025-12-31", value: 10"#, r#"to: "2025-10-31", value: 10"#);
    assert_eq!(
        diags(&[("rules/demo-policy.ron", &rule)]),
        [
            "rules/demo-policy.ron:4:9: E006 parameter `min_employees` ends on 2025-10-31 but the policy is in force until 2025-12-31"
        ]
    );
}

#[test]
fn e007_expression_syntax() {
    let rule = RULE.replace("employees >= min_employees", "employees >= ");
    assert_eq!(
        diags(&[("rules/demo-policy.ron", &rule)]),
        ["rules/demo-policy.ron:7:29: E007 expected a value, found end of expression"]
    );
}

#[test]
fn e008_policy_metadata() {
    let p = POLICY.replace("effective_to = \"2025-12-31\"", "effective_to = \"2024-12-31\"");
    let d = diags(&[("policies/demo-policy.md", &p)]);
    assert_eq!(d[0], "policies/demo-policy.md:9:1: E008 effective_to 2024-12-31 is before effective_from 2025-01-01");
    let p = POLICY.replace("title = \"示例政策\"\n", "");
    let d = diags(&[("policies/demo-policy.md", &p)]);
    assert!(d[0].starts_with("policies/demo-policy.md:2:1: E008 missing field `title`"), "{d:?}");
}

#[test]
fn e009_duplicate() {
    let d = diags(&[("rules/demo-policy-copy.ron", RULE)]);
    assert_eq!(d, ["rules/demo-policy.ron:2:13: E009 policy `demo-policy` already has a rule in rules/demo-policy-copy.ron"]);
}

#[test]
fn e010_and_e011_examples() {
    let rule = RULE.replace(
        "    ]),\n)",
        r#"    ]),
    examples: [
        Example(name: "写错字段", as_of: "2025-06-01", profile: {"employes": 3}, expect: Ineligible),
        Example(name: "预期错误", as_of: "2025-06-01", profile: {"employees": 30}, expect: Ineligible),
    ],
)"#,
    );
    assert_eq!(
        diags(&[("rules/demo-policy.ron", &rule)]),
        [
            "rules/demo-policy.ron:10:23: E010 example `写错字段`: invalid profile: 未知字段 `employes`，是否是 `employees`？",
            "rules/demo-policy.ron:11:23: E011 example `预期错误`: expected ineligible, got eligible; reasons: [Pass] 从业人员 30人 ≥ 10人",
        ]
    );
}

#[test]
fn e012_coverage() {
    let mut f = files(&[]);
    f.retain(|x| x.path != "rules/demo-policy.ron");
    let d: Vec<String> = zhengce_engine::load(f).diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        d.iter()
            .any(|x| x
                == "policies/demo-policy.md:1:1: E012 policy `demo-policy` is marked evaluable but has no rule file in rules/"),
        "{d:?}"
    );
}

#[test]
fn one_bad_file_does_not_hide_the_others() {
    let bad_rule = RULE.replace("employees >=", "employees >>");
    let bad_policy = POLICY.replace("slug = \"demo-policy\"", "slug = \"other\"");
    let d = zhengce_engine::load(files(&[("rules/demo-policy.ron", &bad_rule), ("policies/second.md", &bad_policy)]));
    let files: Vec<&str> = d.diagnostics.iter().map(|x| x.file.as_str()).collect();
    assert!(files.contains(&"rules/demo-policy.ron") && files.contains(&"policies/second.md"), "{files:?}");
    assert!(d.snapshot.policy("demo-policy").is_some());
}

#[test]
fn application_window_is_reported() {
    let policy = POLICY.replace("benefit_summary", "apply_from = \"2025-03-01\"\napply_to = \"2025-04-30\"\nbenefit_summary");
    let loaded = zhengce_engine::load(files(&[("policies/demo-policy.md", &policy)]));
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let profile = loaded.snapshot.parse_profile_json(&serde_json::json!({"employees": 30})).unwrap();
    let notes = |at: &str| loaded.snapshot.match_policy("demo-policy", &profile, at.parse().unwrap()).unwrap().notes;
    let window = |at: &str| notes(at).into_iter().filter(|n| n.kind == NoteKind::Window).map(|n| n.text).collect::<Vec<_>>();
    assert_eq!(window("2025-02-01"), ["申报期尚未开始：2025-03-01 起可申报"]);
    assert_eq!(window("2025-04-01"), ["申报期 2025-03-01 至 2025-04-30"]);
    assert_eq!(window("2025-06-01"), ["本期申报已于 2025-04-30 截止，请关注下一期通知"]);
    let r = loaded.snapshot.match_policy("demo-policy", &profile, "2025-04-01".parse().unwrap()).unwrap();
    assert_eq!(r.deadline.map(|d| d.to_string()).as_deref(), Some("2025-04-30"));
}

#[test]
fn a_broken_schema_extension_loses_only_its_fields() {
    let d = zhengce_engine::load(files(&[("rules/schema-extra.ron", "Schema(fields: [(name: \"x\", type: Bool,")]));
    let msgs: Vec<String> = d.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(msgs[0].starts_with("rules/schema-extra.ron:1:"), "{msgs:?}");
    assert!(d.snapshot.rule("demo-policy").is_some());
}

#[test]
fn e013_nesting_too_deep_in_an_expression_or_a_condition_tree() {
    let deep = format!("{}employees >= min_employees", "not ".repeat(100_000));
    let rule = RULE.replace("employees >= min_employees", &deep);
    let msgs = diags(&[("rules/demo-policy.ron", &rule)]);
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(msgs[0].starts_with("rules/demo-policy.ron:7:") && msgs[0].contains(" E013 "), "{msgs:?}");
    assert!(msgs[0].contains("limit 64"), "{msgs:?}");
    // The same in the RON structure: `Not(Not(…))` and in a derived fact.
    let tree = format!("{}Check(\"employees >= min_employees\"){}", "Not(".repeat(100_000), ")".repeat(100_000));
    let rule = RULE.replace("Check(\"employees >= min_employees\")", &tree);
    let msgs = diags(&[("rules/demo-policy.ron", &rule)]);
    assert!(msgs.len() == 1 && msgs[0].contains(" E013 "), "{msgs:?}");
    let derived = DERIVED.replace("revenue / employees", &format!("{}revenue", "-".repeat(100_000)));
    let msgs = diags(&[("rules/derived.ron", &derived)]);
    assert!(msgs.len() == 1 && msgs[0].starts_with("rules/derived.ron:2:") && msgs[0].contains(" E013 "), "{msgs:?}");
}

#[test]
fn a_schema_of_300_fields_loads_and_matches() {
    // 300 fields beyond the 3 of the base schema: the rule reads the last ones, so the missing-fact
    // set must hold field indices far past 256.
    let fields: String = (0..300)
        .map(|i| format!("    (name: \"f{i}\", type: Count, label: \"字段{i}\", unit: \"个\", dimension: \"size\", question: \"字段{i}是多少？\"),\n"))
        .collect();
    let schema = format!("Schema(fields: [\n{fields}])\n");
    let rule = RULE.replace(
        "Check(\"employees >= min_employees\"),",
        "Check(\"employees >= min_employees\"), Check(\"f298 >= 1\"), Check(\"f299 + f0 >= 2\"),",
    );
    let loaded = zhengce_engine::load(files(&[("rules/schema-many.ron", &schema), ("rules/demo-policy.ron", &rule)]));
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    assert_eq!(loaded.snapshot.schema().map(|s| s.fields.len()), Some(303));
    let at = "2025-06-01".parse().unwrap();
    let result = |p: serde_json::Value| {
        let profile = loaded.snapshot.parse_profile_json(&p).unwrap();
        loaded.snapshot.match_policy("demo-policy", &profile, at).unwrap()
    };
    let r = result(serde_json::json!({"employees": 30, "f0": 1}));
    assert_eq!(r.status, zhengce_model::verdict::Status::Possible);
    let missing: Vec<&str> = r.missing.iter().map(|m| m.field.as_str()).collect();
    assert_eq!(missing, ["f298", "f299"]);
    assert_eq!(r.missing[1].question, "字段299是多少？");
    let r = result(serde_json::json!({"employees": 30, "f0": 1, "f298": 1, "f299": 1}));
    assert_eq!(r.status, zhengce_model::verdict::Status::Eligible);
    let r = result(serde_json::json!({"employees": 30, "f0": 0, "f298": 0, "f299": 1}));
    assert_eq!(r.status, zhengce_model::verdict::Status::Ineligible);
}

#[test]
fn application_object_and_expired_policies_without_successor() {
    use zhengce_engine::WindowState;
    let policy = POLICY.replace("benefit_summary", "apply_from = \"2025-03-01\"\napply_to = \"2025-04-30\"\nbenefit_summary");
    let loaded = zhengce_engine::load(files(&[("policies/demo-policy.md", &policy)]));
    let profile = loaded.snapshot.parse_profile_json(&serde_json::json!({"employees": 30})).unwrap();
    let app = |at: &str| loaded.snapshot.match_policy("demo-policy", &profile, at.parse().unwrap()).unwrap().application;
    assert_eq!(app("2025-02-01").state, WindowState::NotYet);
    assert_eq!(app("2025-04-01").state, WindowState::Open);
    let closed = app("2025-06-01");
    assert_eq!(closed.state, WindowState::Closed);
    let json = serde_json::to_value(closed).unwrap();
    assert_eq!(json, serde_json::json!({"opens": "2025-03-01", "closes": "2025-04-30", "state": "closed"}));
    let rolling = zhengce_engine::load(files(&[])).snapshot;
    let r = rolling.match_policy("demo-policy", &profile, "2025-06-01".parse().unwrap()).unwrap();
    assert_eq!(r.application.state, WindowState::Rolling);
    // Ended 2025-12-31: listed within the following 12 months, unless a later record renews it.
    let slugs = |s: &zhengce_engine::Snapshot, at: &str| -> Vec<String> {
        s.expired_without_successor(at.parse().unwrap()).iter().map(|p| p.meta.slug.clone()).collect()
    };
    assert_eq!(slugs(&rolling, "2026-03-01"), ["demo-policy"]);
    assert!(slugs(&rolling, "2025-12-31").is_empty());
    assert!(slugs(&rolling, "2027-03-01").is_empty());
    let renewal = POLICY
        .replace("slug = \"demo-policy\"", "slug = \"renewal\"\nsupersedes = \"demo-policy\"")
        .replace("2025-01-01", "2026-01-01")
        .replace("2025-12-31", "2026-12-31")
        .replace("evaluable = true", "evaluable = false");
    let renewed = zhengce_engine::load(files(&[("policies/renewal.md", &renewal)]));
    assert!(renewed.diagnostics.is_empty(), "{:?}", renewed.diagnostics);
    assert!(slugs(&renewed.snapshot, "2026-03-01").is_empty());
}

/// Hostile corpus input (issue 11 item 8): random bytes and random mutations of the real rule files
/// never panic or hang the RON loader and the expression parser; every failure is a diagnostic with
/// a code and a position. `PROPTEST_CASES=100000 cargo test -p zhengce-engine --test diagnostics
/// fuzz_` runs it longer (see README).
mod fuzz {
    use proptest::prelude::*;
    use zhengce_engine::SourceFile;
    use zhengce_rules::load::{Input, PolicyPeriods, load_rule};

    fn corpus() -> &'static (Vec<SourceFile>, zhengce_engine::Snapshot, PolicyPeriods) {
        static C: std::sync::OnceLock<(Vec<SourceFile>, zhengce_engine::Snapshot, PolicyPeriods)> = std::sync::OnceLock::new();
        C.get_or_init(|| {
            let files: Vec<SourceFile> = super::common::corpus_files().into_iter().filter(|f| f.path.ends_with(".ron")).collect();
            let loaded = zhengce_engine::load(super::common::corpus_files());
            let periods = loaded
                .snapshot
                .policies()
                .iter()
                .map(|p| (p.meta.slug.clone(), (p.meta.effective_from, p.meta.effective_to)))
                .collect();
            (files, loaded.snapshot, periods)
        })
    }

    /// Loads one rule text; panics (failing the property) only if a diagnostic lacks code or place.
    fn check_rule(text: &str) {
        let (_, snap, periods) = corpus();
        let schema = &snap.rules().expect("corpus rules load").schema;
        let mut diags = Vec::new();
        let rule = load_rule(Input { path: "rules/fuzz.ron", text }, schema, periods, &mut diags);
        assert!(rule.is_some() || !diags.is_empty(), "a refused file must say why");
        for d in &diags {
            assert!(d.code.as_str().starts_with('E') && d.file == "rules/fuzz.ron", "{d}");
        }
    }

    #[derive(Debug, Clone)]
    enum Edit {
        Delete(usize, usize),
        Insert(usize, Vec<u8>),
        Duplicate(usize, usize, usize),
    }

    fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> String {
        for e in edits {
            let n = bytes.len().max(1);
            match e {
                Edit::Delete(at, len) => {
                    let a = at % n;
                    let b = (a + len % 64).min(bytes.len());
                    bytes.drain(a.min(bytes.len())..b);
                }
                Edit::Insert(at, ins) => {
                    let a = (at % n).min(bytes.len());
                    bytes.splice(a..a, ins.iter().copied());
                }
                Edit::Duplicate(from, len, to) => {
                    let a = (from % n).min(bytes.len());
                    let b = (a + len % 256).min(bytes.len());
                    let chunk = bytes[a..b].to_vec();
                    let t = (to % n).min(bytes.len());
                    bytes.splice(t..t, chunk);
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn edit() -> impl Strategy<Value = Edit> {
        let tokens = prop::sample::select(vec![
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "\"",
            "'",
            ",",
            "not ",
            "-",
            "Not(",
            "Act(\"{gap}\", ",
            "{?",
            "{/}",
            "Check(\"",
            "1e999",
            "%",
            "研",
            "\\",
            "\n",
            "None",
            "as_of",
            "((((((((",
            "min(",
            "if ",
        ]);
        prop_oneof![
            (any::<usize>(), any::<usize>()).prop_map(|(a, l)| Edit::Delete(a, l)),
            (any::<usize>(), prop::collection::vec(any::<u8>(), 0..8)).prop_map(|(a, b)| Edit::Insert(a, b)),
            (any::<usize>(), tokens).prop_map(|(a, t)| Edit::Insert(a, t.as_bytes().to_vec())),
            (any::<usize>(), any::<usize>(), any::<usize>()).prop_map(|(a, l, t)| Edit::Duplicate(a, l, t)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn fuzz_expression_parser_on_random_text(s in "\\PC{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            for text in [s, String::from_utf8_lossy(&bytes).into_owned()] {
                if let Err(e) = zhengce_rules::expr::parse(&text) {
                    prop_assert!(e.offset <= text.len());
                }
            }
        }

        #[test]
        fn fuzz_rule_loader_on_mutated_rule_files(pick in any::<usize>(), edits in prop::collection::vec(edit(), 1..6)) {
            let (files, _, _) = corpus();
            let rules: Vec<&SourceFile> = files.iter().filter(|f| !f.path.contains("schema") && !f.path.ends_with("derived.ron")).collect();
            let original = rules[pick % rules.len()];
            check_rule(&apply(original.text.clone().into_bytes(), &edits));
        }

        #[test]
        fn fuzz_rule_loader_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            check_rule(&String::from_utf8_lossy(&bytes));
        }
    }

    /// Interesting inputs found while fuzzing or by hand, kept as regressions.
    #[test]
    fn fuzz_regressions() {
        for text in [
            "",
            "Rule(",
            "Rule(policy: \"cn-rd-super-deduction\", eligibility: Check(\"研 >= 1\"))",
            "Rule(policy: \"cn-rd-super-deduction\", eligibility: Check(\"'unclosed\"))",
            "Rule(policy: \"cn-rd-super-deduction\", eligibility: Act(\"{gap\", Check(\"rd_expense >= 1\")))",
            "Rule(policy: \"cn-rd-super-deduction\", eligibility: Act(\"{/}\", Check(\"rd_expense >= 1\")))",
            "Rule(policy: \"cn-rd-super-deduction\", eligibility: Act(\"{?true}\", Check(\"rd_expense >= 1\")))",
            "Rule(policy: \"cn-rd-super-deduction\", eligibility: Check(\"rd_expense >= 1e999999\"))",
            "Rule(policy: \"cn-rd-super-deduction\", eligibility: Check(\"known()\"))",
            "Rule(policy: \"cn-rd-super-deduction\", eligibility: Check(\"round(rd_expense, rd_expense) >= 1\"))",
        ] {
            check_rule(text);
        }
        for text in
            ["((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((x", "- - - - 1", ".5%%", "a >= 'x", "1__2"]
        {
            let _ = zhengce_rules::expr::parse(text);
        }
    }
}

#[test]
fn e014_policy_marked_more_certain_than_a_fact_it_contains() {
    let rule = RULE.replace("source: \"测试\"", "source: \"测试 [S:T1]\"");
    assert_eq!(
        diags(&[("rules/demo-policy.ron", &rule)]),
        [
            "policies/demo-policy.md:11:1: E014 policy `demo-policy` is marked V but its rule rests on parameter `min_employees` (测试 [S:T1]), marked S: mark the policy S (or verify the fact and mark it V)"
        ]
    );
    // A criterion mark by the fact it reads counts too; a policy marked as low as its facts is clean.
    let rule = RULE.replace("    eligibility:", "    confidence: {\"revenue\": GK},\n    eligibility:");
    let d = diags(&[("rules/demo-policy.ron", &rule)]);
    assert!(d.len() == 1 && d[0].contains(" E014 ") && d[0].contains("criteria on `revenue`"), "{d:?}");
    let policy = POLICY.replace("confidence = \"V\"", "confidence = \"GK\"");
    assert_eq!(diags(&[("rules/demo-policy.ron", &rule), ("policies/demo-policy.md", &policy)]), Vec::<String>::new());
}

#[test]
fn e008_source_that_names_how_it_was_retrieved() {
    let p = POLICY.replace("title = \"测试\"", "title = \"GitHub 索引文件 id 1（公告文本）\"");
    let d = diags(&[("policies/demo-policy.md", &p)]);
    assert!(d[0].starts_with("policies/demo-policy.md:18:10: E008 source `T1` names how it was retrieved (`GitHub`)"), "{d:?}");
    let p = POLICY.replace(
        "title = \"测试\"",
        "title = \"测试公告\"\ndoc_number = \"测试〔2025〕1号\"\nretrieved = \"GitHub 索引文件 id 1\"",
    );
    assert_eq!(diags(&[("policies/demo-policy.md", &p)]), Vec::<String>::new());
}

const REGION_SCHEMA: &str = r#"Schema(fields: [
    (name: "region", type: Region, label: "注册地", unit: "", dimension: "identity", question: "注册地？"),
    (name: "employees", type: Count, label: "从业人员", unit: "人", dimension: "size", question: "多少人？"),
    (name: "revenue", type: Money, label: "营业收入", unit: "万元", dimension: "size", question: "收入多少？"),
    (name: "ownership", type: Enum([("private", "民营"), ("state", "国有")]), label: "所有制", unit: "", dimension: "identity", question: "所有制？"),
    (name: "has_loan", type: Bool, label: "有贷款", unit: "", dimension: "financing", question: "有没有贷款？"),
    (name: "loan_subsidised", type: Bool, label: "贷款已贴息", unit: "", dimension: "financing", after: "has_loan", question: "这笔贷款是否已享受贴息？"),
    (name: "pilot_city", type: Bool, label: "试点城市", unit: "", dimension: "digital", region_fact: true, question: "所在城市是否为试点？"),
    (name: "uplift", type: Bool, label: "采用提高比例", unit: "", dimension: "employment", region_fact: true, question: "是否采用提高比例？"),
])
"#;

#[test]
fn e015_region_facts_file() {
    let bad = r#"RegionFacts(
    local_options: ["uplift"],
    facts: [
        (field: "employees", region: "370000", from: "2025-01-01", value: 3, confidence: V, source: "测试"),
        (field: "pilot_city", region: "3708", from: "2025-01-01", value: true, confidence: V, source: "测试"),
        (field: "pilot_city", region: "370800", from: "2025-01-01", value: 3, confidence: V, source: "测试"),
        (field: "pilot_city", region: "370300", from: "2025-01-01", value: true, confidence: V, source: "测试"),
        (field: "pilot_city", region: "370300", from: "2025-06-01", to: "2025-12-31", value: false, confidence: S, source: "测试"),
    ],
)
"#;
    let d = diags(&[("rules/schema.ron", REGION_SCHEMA), ("rules/region-facts.ron", bad)]);
    assert_eq!(d.len(), 4, "{d:?}");
    assert!(d.iter().all(|x| x.starts_with("rules/region-facts.ron:") && x.contains(" E015 ")), "{d:?}");
    assert!(d[0].contains("`employees` is not a region fact of the schema"), "{d:?}");
    assert!(d.iter().any(|x| x.contains("`3708` of `pilot_city` is not a 6-digit division code")), "{d:?}");
    assert!(d.iter().any(|x| x.contains("`pilot_city` for 370800: 应为 true 或 false")), "{d:?}");
    assert!(d.iter().any(|x| x.contains("the period from 2025-06-01 overlaps the one from 2025-01-01")), "{d:?}");
}

#[test]
fn region_facts_are_read_like_parameters_and_never_asked_of_the_enterprise() {
    let facts = r#"RegionFacts(
    local_options: ["uplift"],
    facts: [
        (field: "pilot_city", region: "370000", from: "2025-01-01", value: false, confidence: V, source: "省文件"),
        (field: "pilot_city", region: "370300", from: "2025-01-01", value: true, confidence: S, source: "淄博入选文件"),
        (field: "uplift", region: "320000", from: "2025-01-01", value: true, confidence: V, source: "江苏办法"),
    ],
)
"#;
    let rule = r#"Rule(
    policy: "demo-policy",
    eligibility: All([
        Check("pilot_city == true"),
        Check("uplift == true"),
        Check("employees >= 10"),
    ]),
)
"#;
    let gated = r#"Rule(
    policy: "demo-policy",
    eligibility: All([Check("has_loan == true"), Check("loan_subsidised == false")]),
)
"#;
    let loaded = zhengce_engine::load(files(&[
        ("rules/schema.ron", REGION_SCHEMA),
        ("rules/region-facts.ron", facts),
        ("rules/demo-policy.ron", rule),
    ]));
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let s = &loaded.snapshot;
    let at: zhengce_model::Date = "2025-06-01".parse().unwrap();
    let run = |p: serde_json::Value| s.match_policy("demo-policy", &s.parse_profile_json(&p).unwrap(), at).unwrap();
    // A profile stating a region fact is refused, naming the field.
    let err = s.parse_profile_json(&serde_json::json!({"pilot_city": true})).unwrap_err();
    assert_eq!(err[0].field, "pilot_city");
    assert!(err[0].message.contains("是地区事实"), "{err:?}");
    // Shandong: the province says no (the city inherits it); the local option is off by default.
    let r = run(serde_json::json!({"region": "370830", "employees": 20}));
    assert_eq!(r.status.as_str(), "ineligible");
    assert!(r.notes.iter().any(|n| n.kind == NoteKind::RegionFact && n.text.contains("省文件")), "{:?}", r.notes);
    // Zibo: the city entry overrides the province; the local option is still off.
    let r = run(serde_json::json!({"region": "370303", "employees": 20}));
    assert_eq!(r.status.as_str(), "ineligible");
    assert!(r.reasons.iter().any(|x| x.text.contains("待核实")), "an [S] region fact says 待核实: {:?}", r.reasons);
    // Jiangsu adopted the option, but its pilot status is unknown: possible, asked of officers only.
    let r = run(serde_json::json!({"region": "320583"}));
    assert_eq!(r.status.as_str(), "possible");
    assert!(r.missing.is_empty(), "nothing is asked of the firm while a region fact gates it: {:?}", r.missing);
    assert_eq!(r.region_missing.iter().map(|m| m.field.as_str()).collect::<Vec<_>>(), ["pilot_city"]);
    let report = s.match_profile(&s.parse_profile_json(&serde_json::json!({"region": "320583"})).unwrap(), at);
    assert!(report.questions.is_empty());
    assert_eq!(report.region_questions.len(), 1);
    assert_eq!(report.region_questions[0].region, "320583");
    // Unknown region: ask the region, not the region fact.
    let r = run(serde_json::json!({"employees": 20}));
    assert_eq!(r.missing.iter().map(|m| m.field.as_str()).collect::<Vec<_>>(), ["region"]);

    // A gate: while both are unknown only the gate is asked; then the follow-up.
    let loaded = zhengce_engine::load(files(&[("rules/schema.ron", REGION_SCHEMA), ("rules/demo-policy.ron", gated)]));
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let s = &loaded.snapshot;
    let run = |p: serde_json::Value| s.match_profile(&s.parse_profile_json(&p).unwrap(), at);
    let q: Vec<String> = run(serde_json::json!({})).questions.into_iter().map(|q| q.field).collect();
    assert_eq!(q, ["has_loan"]);
    let q: Vec<String> = run(serde_json::json!({"has_loan": true})).questions.into_iter().map(|q| q.field).collect();
    assert_eq!(q, ["loan_subsidised"]);
}

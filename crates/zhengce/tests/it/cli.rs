//! The command line as other tools use it: shapes and exit statuses of `contracts.md`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn zhengce(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhengce")).args(args).output().expect("binary runs")
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/profiles").join(name).display().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn check_passes_on_the_bundled_corpus() {
    let o = zhengce(&["check"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("检查通过"));
    assert!(stdout(&o).contains("按层级："));
}

#[test]
fn match_json_follows_the_contract() {
    let o = zhengce(&["match", "--profile", &fixture("wenshang-garment-sme.json"), "--at", "2025-06-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["as_of"], "2025-06-01");
    assert_eq!(v["derived"]["size_class"], "small");
    assert_eq!(v["rules_version"].as_str().map(str::len), Some(64));
    let results = v["results"].as_array().expect("results");
    let refund = results.iter().find(|r| r["policy"] == "cn-ui-job-retention-refund-2025").expect("refund in force");
    assert_eq!(refund["status"], "eligible");
    assert_eq!(refund["benefit"]["amount_wan"], 5.76);
    assert_eq!(refund["deadline"], "2025-12-31");
    for r in results {
        let status = r["status"].as_str().unwrap_or_default();
        // A possible verdict asks the enterprise (`missing`) or waits on region facts that officers
        // confirm (`region_missing`, never asked of the enterprise).
        let asks = r["missing"].as_array().is_some_and(|m| !m.is_empty());
        let waits = r["region_missing"].as_array().is_some_and(|m| !m.is_empty());
        assert_eq!(asks || waits, status == "possible", "{}", r["policy"]);
        assert_eq!(r["gaps"].as_array().is_some_and(|m| !m.is_empty()), status == "near_miss", "{}", r["policy"]);
    }
    // The uplift is a local option Shandong did not adopt.
    let uplift = results.iter().find(|r| r["policy"] == "cn-ui-refund-uplift-2025").expect("uplift in force");
    assert_eq!(uplift["status"], "ineligible");
    let questions = v["questions"].as_array().expect("questions");
    assert!(!questions.is_empty());
    for q in questions {
        assert!(
            q["field"].is_string() && q["question"].is_string() && q["policies"].is_array() && q["unlocks_wan"].is_number(),
            "{q}"
        );
    }
    let region: Vec<&str> =
        v["region_questions"].as_array().expect("region_questions").iter().filter_map(|q| q["field"].as_str()).collect();
    assert!(region.contains(&"in_digital_pilot_city"), "{region:?}");
    assert!(questions.iter().all(|q| !region.contains(&q["field"].as_str().unwrap_or_default())));
}

#[test]
fn expired_policies_are_left_out() {
    let o = zhengce(&["match", "--profile", &fixture("wenshang-garment-sme.json"), "--at", "2026-06-01"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let slugs: Vec<&str> = v["results"].as_array().unwrap().iter().filter_map(|r| r["policy"].as_str()).collect();
    assert!(!slugs.contains(&"cn-ui-job-retention-refund-2025"));
    assert!(slugs.contains(&"cn-small-low-profit-cit"));
}

#[test]
fn a_profile_stating_a_region_fact_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("region.json");
    std::fs::write(&p, r#"{"region": "370830", "ui_refund_uplift_adopted": true}"#).unwrap();
    let o = zhengce(&["match", "--profile", p.to_str().unwrap(), "--at", "2025-06-01"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("`ui_refund_uplift_adopted`") && err.contains("地区事实"), "{err}");
}

#[test]
fn bad_profile_exits_2_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.json");
    std::fs::write(&p, r#"{"employes": 3, "insured_employees": -1, "credit_code": "91350100M000100Y44"}"#).unwrap();
    let o = zhengce(&["match", "--profile", p.to_str().unwrap(), "--at", "2025-06-01"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("`employes`") && err.contains("employees"), "{err}");
    assert!(err.contains("insured_employees"), "{err}");
    assert!(err.contains("校验位"), "{err}");
    std::fs::write(&p, "{\"employees\": 3,\n  oops}").unwrap();
    let o = zhengce(&["match", "--profile", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.json:2:3"), "{}", stderr(&o));
}

#[test]
fn batch_keeps_order_reports_bad_lines_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    let sme = std::fs::read_to_string(fixture("wenshang-garment-sme.json")).unwrap().replace('\n', " ");
    std::fs::write(&input, format!("{sme}\nnot json\n{{\"employees\": \"many\"}}\n{{\"employees\": 40}}\n")).unwrap();
    let o = zhengce(&["batch", "--profiles", input.to_str().unwrap(), "--at", "2025-06-01", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0]["eligible"].as_array().unwrap().iter().any(|s| s == "cn-ui-job-retention-refund-2025"));
    assert_eq!(lines[1]["enterprise"], "2");
    assert!(lines[1]["error"].is_string());
    assert!(lines[2]["error"].as_str().unwrap().contains("从业人员"));
    assert_eq!(lines[3]["enterprise"], "4");
    assert!(lines[3]["possible"].is_array());
}

#[test]
fn batch_across_chunks_numbers_lines_and_refuses_unreadable_input_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let out = dir.path().join("out.jsonl");
    let sme = std::fs::read_to_string(fixture("wenshang-garment-sme.json")).unwrap().replace('\n', " ");
    // More lines than one chunk (16,384) and one part, with bad lines in the second chunk and a
    // CRLF line ending; the output keeps order and numbers lines from 1 over the whole file.
    let mut text = String::new();
    for i in 1..=20_000 {
        match i {
            17_000 => text.push_str("not json\n"),
            19_999 => text.push_str("{\"employees\": 12}\r\n"),
            _ => {
                text.push_str(&sme);
                text.push('\n');
            }
        }
    }
    std::fs::write(&input, &text).unwrap();
    let o = zhengce(&["batch", "--profiles", input.to_str().unwrap(), "--at", "2025-06-01", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let written = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<serde_json::Value> = written.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 20_000);
    assert_eq!(lines[16_999]["enterprise"], "17000");
    assert!(lines[16_999]["error"].as_str().unwrap().contains("第17000行"));
    assert_eq!(lines[19_998]["enterprise"], "19999");
    assert!(lines[19_998]["possible"].is_array());
    assert_eq!(lines[0], lines[19_999], "the same profile gives the same line");
    assert!(stderr(&o).contains("1 行有错误"), "{}", stderr(&o));

    // A line that is not UTF-8: the command fails naming the line, and leaves no output at all.
    let mut bytes = text.into_bytes();
    let at = bytes.len() - 10;
    bytes[at] = 0xff;
    std::fs::write(&input, &bytes).unwrap();
    let out2 = dir.path().join("out2.jsonl");
    let o = zhengce(&["batch", "--profiles", input.to_str().unwrap(), "--at", "2025-06-01", "--out", out2.to_str().unwrap()]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("第20000行无法读取"), "{}", stderr(&o));
    assert!(!out2.exists() && !out2.with_extension("jsonl.partial").exists(), "nothing half-written");
}

#[test]
fn table_output_is_chinese() {
    let o = zhengce(&["match", "--profile", &fixture("wenshang-garment-sme.json"), "--at", "2025-06-01", "--format", "table"]);
    let s = stdout(&o);
    assert!(s.contains("失业保险稳岗返还") && s.contains("符合") && s.contains("预计金额"), "{s}");
    assert!(s.contains("回答以下5个问题"), "the table ends with the top questions: {s}");
    assert!(s.contains("待确认的地区事实"), "{s}");
}

#[test]
fn check_refuses_an_expression_nested_100000_deep_with_e013() {
    let dir = tempfile::tempdir().unwrap();
    let rules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    for e in std::fs::read_dir(&rules).unwrap().flatten() {
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let victim = dir.path().join("cn-ui-premium-rate-1pct.ron");
    let text = std::fs::read_to_string(&victim).unwrap();
    let deep = text.replacen("Check(\"", &format!("Check(\"{}", "not ".repeat(100_000)), 1);
    assert_ne!(deep, text, "the rule has a Check");
    std::fs::write(&victim, deep).unwrap();
    let o = zhengce(&["check", "--rules", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("cn-ui-premium-rate-1pct.ron:") && err.contains("E013") && err.contains("nested too deeply"), "{err}");
}

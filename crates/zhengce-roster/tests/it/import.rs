//! Roster import: encodings, workbooks, bad rows, updated rosters, the demo round trip.

use std::path::Path;

use serde_json::{Value, json};
use zhengce_roster::demo::{DemoFormat, write_demo};
use zhengce_roster::import::{ImportOptions, ImportReport, import_file};
use zhengce_store::Store;

use crate::common::{Corpus, code, dbs, quiet, schema, write_csv};

async fn import(store: &Store, schema: &Corpus, path: &Path, skip_invalid: bool, at_ms: i64) -> ImportReport {
    let opts = ImportOptions { skip_invalid, actor: "officer-7", at_ms };
    import_file(store, path, schema, &opts, &mut quiet()).await.expect("import runs")
}

async fn profile(store: &Store, cc: &str) -> serde_json::Map<String, Value> {
    store.enterprise(cc).await.expect("read").unwrap_or_else(|| panic!("{cc} stored")).profile
}

#[tokio::test]
async fn gbk_csv_with_a_title_row_and_officer_formats() {
    let schema = schema();
    let (a, b) = (code("MA0000A1"), code("MA0000B2"));
    let text = format!(
        "汶上县重点企业名录（2025年）,,,,,,,,,\n\
         统一社会信用代码,企业名称,所属镇街,从业人员（人）,营业收入（万元）,成立日期,高新技术企业,纳税人类型,企业规模,备注\n\
         {a},汶上县锦绣服饰有限公司（演示）,中都街道,１２０,\"1,234.5\",2021年3月5日,是,一般纳税人,小型,重点走访\n\
         {},汶上县华美纺织有限公司（演示）,南站镇,45人,300万元,2019/7/1,否,小规模纳税人,,\n",
        b.to_lowercase()
    );
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    for db in dbs().await {
        let path = db.dir.path().join("名录-gbk.csv");
        std::fs::write(&path, &bytes).expect("write");
        let store = db.open().await;
        let r = import(&store, schema, &path, false, 1_000).await;
        assert!(r.format.contains("GBK"), "{}", r.format);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!((r.rows, r.created, r.applied), (2, 2, true));
        assert!(
            r.warnings.iter().any(|w| w.contains("备注")) && r.warnings.iter().any(|w| w.contains("企业规模")),
            "{:?}",
            r.warnings
        );
        let pa = profile(&store, &a).await;
        assert_eq!(pa.get("employees"), Some(&json!(120)), "{}", db.backend);
        assert_eq!(pa.get("revenue"), Some(&json!(1234.5)));
        assert_eq!(pa.get("established"), Some(&json!("2021-03-05")));
        assert_eq!((pa.get("hnte"), pa.get("vat_status")), (Some(&json!(true)), Some(&json!("general"))));
        assert_eq!(pa.get("name"), Some(&json!("汶上县锦绣服饰有限公司（演示）")));
        let pb = profile(&store, &b).await;
        assert_eq!((pb.get("employees"), pb.get("revenue")), (Some(&json!(45)), Some(&json!(300))));
        assert_eq!(pb.get("established"), Some(&json!("2019-07-01")));
        store.close().await;
    }
}

#[tokio::test]
async fn xlsx_written_by_a_spreadsheet_library() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let schema = schema();
    let (a, b) = (code("MA0000C3"), code("MA0000D4"));
    for db in dbs().await {
        let path = db.dir.path().join("roster.xlsx");
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("企业名单").expect("name");
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let headers =
            ["credit_code", "企业名称", "region", "employees", "从业人员（人）", "established", "上云等级", "主营业务收入占比"];
        // A duplicate field would be refused; keep one employees column: rename the second.
        let headers: Vec<&str> = headers.iter().map(|h| if *h == "从业人员（人）" { "参保职工（人）" } else { *h }).collect();
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, *h).expect("header");
        }
        let rows = [
            (a.as_str(), "汶上县瑞丰制衣有限公司（演示）", 370830.0, 85.0, (2018u16, 4u8, 20u8), "业务系统上云", "92%"),
            (b.as_str(), "汶上县恒通家纺有限公司（演示）", 370830.0, 12.0, (2023, 11, 2), "none", "0.8"),
        ];
        for (i, (cc, name, region, emp, (y, m, d), cloud, share)) in rows.iter().enumerate() {
            let r = i as u32 + 1;
            ws.write_string(r, 0, *cc).expect("cell");
            ws.write_string(r, 1, *name).expect("cell");
            ws.write_number(r, 2, *region).expect("cell");
            ws.write_number(r, 3, *emp).expect("cell");
            ws.write_number(r, 4, emp - 2.0).expect("cell");
            let dt = ExcelDateTime::from_ymd(*y, *m, *d).expect("date");
            ws.write_datetime_with_format(r, 5, &dt, &date).expect("cell");
            ws.write_string(r, 6, *cloud).expect("cell");
            ws.write_string(r, 7, *share).expect("cell");
        }
        wb.save(&path).expect("save xlsx");

        let store = db.open().await;
        let r = import(&store, schema, &path, false, 1_000).await;
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert!(r.format.contains("企业名单"), "{}", r.format);
        assert_eq!((r.rows, r.created), (2, 2));
        let pa = profile(&store, &a).await;
        assert_eq!(pa.get("region"), Some(&json!("370830")), "{}", db.backend);
        assert_eq!((pa.get("employees"), pa.get("insured_employees")), (Some(&json!(85)), Some(&json!(83))));
        assert_eq!(pa.get("established"), Some(&json!("2018-04-20")));
        assert_eq!(pa.get("cloud_level"), Some(&json!("platform")));
        assert_eq!(pa.get("main_product_share"), Some(&json!(0.92)));
        let pb = profile(&store, &b).await;
        assert_eq!((pb.get("cloud_level"), pb.get("main_product_share")), (Some(&json!("none")), Some(&json!(0.8))));
        store.close().await;
    }
}

#[tokio::test]
async fn bad_rows_all_or_nothing_then_skip_invalid() {
    let schema = schema();
    let good = code("MA0000E5");
    let other = code("MA0000F6");
    let mut bad_check = code("MA0000G7");
    bad_check.replace_range(17..18, if bad_check.ends_with('1') { "2" } else { "1" });
    for db in dbs().await {
        let path = db.dir.path().join("bad.csv");
        write_csv(
            &path,
            &[
                vec!["统一社会信用代码", "企业名称", "从业人员", "营业收入", "成立日期", "纳税信用等级"],
                vec![&good, "好企业（演示）", "10", "100", "2020-01-01", "A"],
                vec![&bad_check, "校验位错（演示）", "10", "100", "2020-01-01", "A"],
                vec![&other, "多处错误（演示）", "很多", "-5", "2021-02-30", "E"],
                vec![&good, "重复（演示）", "10", "100", "2020-01-01", "A"],
                vec!["", "", "", "", "", ""],
                vec!["", "缺代码（演示）", "3", "", "", ""],
            ],
        );
        let store = db.open().await;
        let r = import(&store, schema, &path, false, 1_000).await;
        assert!(!r.applied);
        assert_eq!(store.count_enterprises().await.expect("count"), 0, "{}: all or nothing", db.backend);
        assert_eq!((r.rows, r.invalid_rows), (5, 4), "{:?}", r.errors);
        let seen: Vec<(usize, &str, &str)> = r.errors.iter().map(|e| (e.row, e.column.as_str(), e.value.as_str())).collect();
        assert!(seen.contains(&(3, "统一社会信用代码", bad_check.as_str())), "{seen:?}");
        assert!(seen.contains(&(4, "从业人员", "很多")), "{seen:?}");
        assert!(seen.contains(&(4, "营业收入", "-5")), "{seen:?}");
        assert!(seen.contains(&(4, "成立日期", "2021-02-30")), "{seen:?}");
        assert!(seen.contains(&(4, "纳税信用等级", "E")), "{seen:?}");
        assert!(seen.contains(&(5, "统一社会信用代码", good.as_str())), "{seen:?}");
        assert!(seen.contains(&(7, "统一社会信用代码", "")), "{seen:?}");
        assert!(r.errors.iter().all(|e| !e.reason.is_empty()));
        assert!(r.errors.iter().any(|e| e.row == 5 && e.reason.contains("第2行")), "{:?}", r.errors);

        let r = import(&store, schema, &path, true, 2_000).await;
        assert!(r.applied);
        assert_eq!((r.created, r.invalid_rows), (1, 4));
        assert_eq!(store.count_enterprises().await.expect("count"), 1);
        assert_eq!(profile(&store, &good).await.get("name"), Some(&json!("好企业（演示）")));
        store.close().await;
    }
}

/// Rewrites a CSV through `edit(row_index, header, cells)`, appending a copy of the first data row
/// under another credit code.
fn edit_csv(from: &Path, to: &Path, newcomer: &str, mut edit: impl FnMut(usize, &[String], &mut Vec<String>)) {
    let mut rd = csv::ReaderBuilder::new().has_headers(false).from_path(from).expect("open");
    let mut rows: Vec<Vec<String>> = rd.records().map(|r| r.expect("row").iter().map(str::to_string).collect()).collect();
    rows[0][0] = rows[0][0].trim_start_matches('\u{feff}').to_string();
    let header = rows[0].clone();
    for (i, row) in rows.iter_mut().enumerate().skip(1) {
        edit(i, &header, row);
    }
    let mut copy = rows[1].clone();
    copy[0] = newcomer.to_string();
    rows.push(copy);
    let mut w = csv::Writer::from_path(to).expect("create");
    for r in rows {
        w.write_record(&r).expect("write");
    }
    w.flush().expect("flush");
}

#[tokio::test]
async fn updated_roster_versions_only_the_changed_enterprises() {
    let schema = schema();
    for db in dbs().await {
        let v1 = db.dir.path().join("roster-v1.csv");
        write_demo(std::fs::File::create(&v1).expect("create"), schema, DemoFormat::Csv, 50, 9, &mut |_| {}).expect("demo");
        let store = db.open().await;
        let r = import(&store, schema, &v1, false, 1_000).await;
        assert_eq!((r.created, r.updated, r.unchanged), (50, 0, 0), "{:?}", r.errors);
        let audit_after_first = store.audit_log(0, 100).await.expect("audit").len();

        // The same file again: nothing changes, not even the audit log.
        let r = import(&store, schema, &v1, false, 2_000).await;
        assert_eq!((r.created, r.updated, r.unchanged, r.audit_seq), (0, 0, 50, None));
        assert_eq!(store.count_profile_versions().await.expect("count"), 50);
        assert_eq!(store.audit_log(0, 100).await.expect("audit").len(), audit_after_first);

        // Two firms changed, one emptied a cell (unknown never erases), one new firm.
        let v2 = db.dir.path().join("roster-v2.csv");
        let mut changed = Vec::new();
        let mut blanked = String::new();
        let newcomer = code("MA0000H8");
        edit_csv(&v1, &v2, &newcomer, |i, header, row| {
            let col = |name: &str| header.iter().position(|h| h == name).expect("column");
            if i == 3 || i == 17 {
                row[col("从业人员（人）")] = "999".into();
                changed.push(row[0].clone());
            }
            if i == 20 {
                let c = col("企业名称");
                blanked = row[0].clone();
                row[c] = String::new();
            }
        });
        let r = import(&store, schema, &v2, false, 3_000).await;
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!((r.created, r.updated, r.unchanged), (1, 2, 48), "{}", db.backend);
        assert_eq!(store.count_profile_versions().await.expect("count"), 53);
        for cc in &changed {
            let h = store.profile_history(cc).await.expect("history");
            assert_eq!(h.len(), 2);
            assert_eq!(h[1].changed_fields, ["employees"]);
            assert_eq!(
                (h[1].changed_by.as_str(), h[1].changed_at, h[1].source.as_str()),
                ("officer-7", 3_000, "import:roster-v2.csv")
            );
            assert_eq!(h[1].profile.get("employees"), Some(&json!(999)));
        }
        assert_eq!(store.profile_history(&blanked).await.expect("history").len(), 1, "an empty cell is no change");
        assert_eq!(store.enterprise(&newcomer).await.expect("read").map(|e| e.version), Some(1));
        let audit = store.audit_log(0, 100).await.expect("audit");
        let last = audit.last().expect("entry");
        assert_eq!((last.action.as_str(), last.subject.as_str()), ("import", "roster-v2.csv"));
        assert_eq!((last.detail["created"].clone(), last.detail["updated"].clone()), (json!(1), json!(2)));
        store.close().await;
    }
}

#[tokio::test]
async fn demo_csv_imports_to_exactly_the_jsonl_profiles() {
    let schema = schema();
    for db in dbs().await {
        let (csv_path, jsonl_path) = (db.dir.path().join("demo.csv"), db.dir.path().join("demo.jsonl"));
        write_demo(std::fs::File::create(&csv_path).expect("create"), schema, DemoFormat::Csv, 300, 4, &mut |_| {}).expect("csv");
        write_demo(std::fs::File::create(&jsonl_path).expect("create"), schema, DemoFormat::Jsonl, 300, 4, &mut |_| {})
            .expect("jsonl");
        let store = db.open().await;
        let r = import(&store, schema, &csv_path, false, 1_000).await;
        assert!(r.errors.is_empty() && r.warnings.is_empty(), "{:?} {:?}", r.errors, r.warnings);
        assert_eq!(r.created, 300);
        for line in std::fs::read_to_string(&jsonl_path).expect("read").lines() {
            let want: serde_json::Map<String, Value> = serde_json::from_str(line).expect("json");
            let cc = want["credit_code"].as_str().expect("code").to_string();
            let got = profile(&store, &cc).await;
            assert_eq!(zhengce_store::canonical::canonical(&got), line, "{}: {cc}", db.backend);
        }
        store.close().await;
    }
}

#[tokio::test]
async fn utf8_bom_tab_separated_with_english_headers() {
    let schema = schema();
    let cc = code("MA0000J9");
    for db in dbs().await {
        let path = db.dir.path().join("export.txt");
        let text = format!(
            "\u{feff}credit_code\tname\temployees\tvat_status\tsrdi_level\n{cc}\t汶上县测试（演示）\t1,200\tsmall_scale\t专精特新“小巨人”\n"
        );
        std::fs::write(&path, text).expect("write");
        let store = db.open().await;
        let r = import(&store, schema, &path, false, 1).await;
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert!(r.format.contains("BOM") && r.format.contains("制表符"), "{}", r.format);
        let p = profile(&store, &cc).await;
        assert_eq!((p.get("employees"), p.get("srdi_level")), (Some(&json!(1200)), Some(&json!("little_giant"))));
        store.close().await;
    }
}

//! The xlsx workbook read back with calamine: its totals equal the model's.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use zhengce_brief::xlsx::{DETAIL_HEADERS, TOTAL_LABELS};

use crate::common;

fn num(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[test]
fn workbook_totals_equal_the_model() {
    let brief = common::group_brief();
    let bytes = zhengce_brief::xlsx::render(&brief).expect("workbook");
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("opens as xlsx");
    assert_eq!(wb.sheet_names(), vec!["汇总", "明细", "问题"]);

    // The summary's totals, looked up by label.
    let summary = wb.worksheet_range("汇总").expect("summary sheet");
    let value = |label: &str| {
        summary
            .rows()
            .find(|r| r.first().is_some_and(|c| text(c) == label))
            .and_then(|r| r.get(1).and_then(num))
            .unwrap_or_else(|| panic!("no total {label}"))
    };
    let t = &brief.totals;
    assert_eq!(text(&summary.rows().next().expect("title row")[0]), brief.title);
    assert_eq!(value(TOTAL_LABELS[0]), t.enterprises as f64);
    assert_eq!(value(TOTAL_LABELS[1]), t.with_eligible as f64);
    assert_eq!(value(TOTAL_LABELS[2]), t.eligible.policies as f64);
    assert_eq!(value(TOTAL_LABELS[3]), t.eligible.amount_wan);
    assert_eq!(value(TOTAL_LABELS[4]), t.possible.policies as f64);
    assert_eq!(value(TOTAL_LABELS[5]), t.possible.amount_wan);
    assert_eq!(value(TOTAL_LABELS[6]), t.near_miss.policies as f64);
    assert_eq!(value(TOTAL_LABELS[8]), t.questions as f64);
    assert!(t.eligible.amount_wan > 0.0, "the fixtures are eligible for something");

    // The detail sheet adds up to the same totals: counted amounts per status, every row counted.
    let detail = wb.worksheet_range("明细").expect("detail sheet");
    let mut rows = detail.rows();
    let header: Vec<String> = rows.next().expect("header").iter().map(text).collect();
    assert_eq!(header, DETAIL_HEADERS.iter().map(|(h, _)| (*h).to_string()).collect::<Vec<_>>());
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (status, amount, counted) = (col("状态"), col("预计金额（万元）"), col("计入合计"));
    let mut sums = std::collections::BTreeMap::<String, (usize, f64)>::new();
    for r in rows {
        let e = sums.entry(text(&r[status])).or_default();
        e.0 += 1;
        if text(&r[counted]) == "是" {
            e.1 += num(&r[amount]).unwrap_or(0.0);
        }
    }
    let got = |label: &str| sums.get(label).copied().unwrap_or_default();
    assert_eq!(got("符合").0, t.eligible.policies);
    assert_eq!(round2(got("符合").1), t.eligible.amount_wan);
    assert_eq!(got("可能符合").0, t.possible.policies);
    assert_eq!(round2(got("可能符合").1), t.possible.amount_wan);
    assert_eq!(got("差一点").0, t.near_miss.policies);
    assert_eq!(round2(got("差一点").1), t.near_miss.amount_wan);

    // One question row per listed question.
    let questions = wb.worksheet_range("问题").expect("questions sheet");
    let listed: usize = brief.enterprises.iter().map(|e| e.questions.len()).sum();
    assert_eq!(questions.rows().count() - 1, listed);
}

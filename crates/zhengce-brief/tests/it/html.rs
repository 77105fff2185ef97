//! The HTML page: standalone, escaped, printable, with the model's totals.

use zhengce_engine::format::num;

use crate::common;

#[test]
fn html_is_standalone_and_carries_the_totals() {
    let brief = common::group_brief();
    let html = zhengce_brief::html::render(&brief);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"zh-CN\">") && html.contains("charset=\"utf-8\""));
    assert!(html.contains("@page { size: A4"), "A4 print stylesheet");
    assert!(html.contains("break-before: page"), "each enterprise starts a printed page");
    assert!(!html.contains("<script") && !html.contains("http-equiv"), "no scripts");
    assert!(html.contains(&num(brief.totals.eligible.amount_wan)));
    for e in &brief.enterprises {
        assert!(html.contains(&zhengce_brief::html::esc(&e.identity.name)));
    }
}

#[test]
fn html_escapes_names() {
    let snap = common::snapshot();
    let mut all = common::enterprises(&snap);
    all[0].0.name = "<script>alert(1)</script>&公司".into();
    let brief = zhengce_brief::build(&snap, zhengce_brief::Scope::Town("南站镇".into()), common::as_of(), &all);
    let html = zhengce_brief::html::render(&brief);
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;公司"));
}

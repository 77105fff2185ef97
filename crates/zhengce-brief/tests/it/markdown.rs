//! The Markdown rendering, snapshot-tested.

use crate::common;

#[test]
fn group_brief_markdown() {
    let brief = common::group_brief();
    // The corpus version changes with every corpus edit; the content is what is reviewed.
    let md = zhengce_brief::markdown::render(&brief).replace(&brief.rules_version[..12], "[rules_version]");
    insta::assert_snapshot!("group_brief", md);
}

#[test]
fn single_enterprise_markdown_has_no_group_section() {
    let snap = common::snapshot();
    let all = common::enterprises(&snap);
    let code = all[0].0.credit_code.clone();
    let brief = zhengce_brief::build(&snap, zhengce_brief::Scope::Enterprise(code), common::as_of(), &all[..1]);
    let md = zhengce_brief::markdown::render(&brief);
    assert!(md.starts_with(&format!("# {} 走访简报", all[0].0.name)), "{md}");
    assert!(!md.contains("## 汇总"));
    assert!(md.contains("**建议同行部门**"));
}

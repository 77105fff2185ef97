//! Hostile input never errors or panics: query syntax characters, quotes, emoji, control and
//! invisible characters, huge input, empty input. Runs against the bundled corpus.

use crate::common;

use std::sync::LazyLock;

use proptest::prelude::*;
use zhengce_search::{SearchIndex, SearchOptions, SearchResults};

static INDEX: LazyLock<SearchIndex> = LazyLock::new(common::index);

fn search(q: &str) -> SearchResults {
    let opts = SearchOptions::new(common::as_of());
    let r = INDEX.search(q, &opts);
    let r = match r {
        Ok(r) => r,
        Err(e) => panic!("query {q:?} failed: {e}"),
    };
    for h in &r.hits {
        assert!(!h.snippet.contains("<script"), "unescaped markup in snippet for {q:?}: {}", h.snippet);
        let stripped = h.snippet.replace("<em>", "").replace("</em>", "");
        assert!(!stripped.contains('<') && !stripped.contains('>'), "stray tag in {:?}", h.snippet);
    }
    assert_eq!(r.query, q, "the query is echoed as given");
    r
}

fn slugs(r: &SearchResults) -> Vec<&str> {
    r.hits.iter().map(|h| h.policy.as_str()).collect()
}

fn finds_job_retention(q: &str) {
    let r = search(q);
    let top: Vec<&str> = slugs(&r).into_iter().take(3).collect();
    assert!(top.iter().any(|s| s.contains("job-retention-refund")), "{q:?} should still find 稳岗返还, got {top:?}");
}

#[test]
fn query_syntax_characters_are_plain_text() {
    for q in [
        "(稳岗",
        "稳岗)",
        "稳岗^",
        "企业^稳岗",
        "稳岗返还 AND",
        "AND 稳岗",
        "title:稳岗",
        "稳岗:返还:a",
        "[1 TO 稳岗",
        "稳岗~2",
        "+稳岗 -企业",
        "稳岗*",
        "稳岗?",
        "{稳岗}",
        "稳岗\\",
        "稳岗 || 返还 &&",
    ] {
        finds_job_retention(q);
    }
    for q in
        ["企业^", "- *", "*", "?", "-", "+", "^", "~", ":", "(", ")", "[", "]", "{", "}", "\\", "/", "AND", "OR NOT", "a:b:c"]
    {
        search(q);
    }
    assert!(search("- *").hits.is_empty(), "no words, no hits");
}

#[test]
fn quotes_of_every_kind() {
    for q in [
        "\"稳岗返还\"",
        "\"稳岗返还",
        "稳岗返还\"",
        "“稳岗返还”",
        "「稳岗返还」",
        "'稳岗'",
        "‘稳岗’",
        "《稳岗返还》",
        "\"\"稳岗\"\"",
    ] {
        finds_job_retention(q);
    }
    for q in ["\"", "\"\"", "\"\"\"", "“”", "'"] {
        assert!(search(q).hits.is_empty(), "{q:?}");
    }
}

#[test]
fn emoji_and_symbols() {
    finds_job_retention("🎉稳岗返还🎉");
    finds_job_retention("稳岗👍返还");
    finds_job_retention("👨‍👩‍👧‍👦 稳岗 🇨🇳");
    for q in ["🎉", "👨‍👩‍👧‍👦🇨🇳", "💰💰💰", "😀😃😄😁😆😅🤣😂", "→←↑↓", "★☆♠♣", "©®™"]
    {
        assert!(search(q).hits.is_empty(), "{q:?} has no words");
    }
}

#[test]
fn invisible_control_and_markup() {
    finds_job_retention("稳\u{200B}岗\u{200D}返\u{FEFF}还");
    finds_job_retention("\u{202E}稳岗返还\u{202C}");
    finds_job_retention("稳岗\u{0}返还\u{1}\u{7F}");
    finds_job_retention("<script>alert(1)</script>稳岗返还");
    finds_job_retention("ｗｅｎｇａｎｇ 稳岗"); // full-width Latin
    finds_job_retention("穩崗返還");
    for q in [
        "\u{200B}\u{200C}\u{200D}",
        "\u{0}",
        "\t\n\r",
        "<>&\"'",
        "%00",
        "\u{FFFD}",
        "\u{10FFFF}",
        "e\u{301}\u{301}\u{301}",
        "㍿ﷺ",
    ] {
        search(q);
    }
}

#[test]
fn huge_input() {
    let two_kb: String = "我们公司是做服装的，去年没有裁员，想问一下稳岗返还怎么申请。".repeat(24);
    assert!(two_kb.len() >= 2048);
    finds_job_retention(&two_kb);
    search(&"a".repeat(100_000));
    search(&"稳".repeat(50_000));
    search(&"(".repeat(10_000));
    search(&"🎉".repeat(10_000));
    let mixed: String = (0..20_000u32).filter_map(|i| char::from_u32(0x4E00 + (i * 7919) % 0x5000)).collect();
    search(&mixed);
}

#[test]
fn empty_input_lists_everything() {
    for q in ["", " ", "　", "\u{200B}"] {
        let r = search(q);
        assert_eq!(r.total, INDEX.len(), "blank {q:?} lists every policy");
        assert!(r.hits.len() <= 10);
        assert!(r.hits.iter().all(|h| h.score == 0.0));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_fails(q in any::<String>()) {
        search(&q);
    }

    #[test]
    fn arbitrary_cjk_and_syntax_never_fails(q in "[\\u{4E00}-\\u{4FFF}()\\[\\]{}^~*?:\"“”+\\-!\\\\ 　a-zA-Z0-9\\u{200B}\\u{1F600}-\\u{1F64F}]{0,300}") {
        search(&q);
    }
}

//! PDF rendering: extractable Chinese text, the HTML's totals, a clear error without a font.

use std::path::PathBuf;
use std::process::Command;

use zhengce_brief::{Identity, Scope};
use zhengce_brief_pdf::{CjkFont, PdfError};
use zhengce_engine::SourceFile;

fn brief() -> zhengce_brief::Brief {
    let files = zhengce_corpus::source_root().read().expect("the source tree's corpus is readable");
    let snap = zhengce_engine::load(files.into_iter().map(|(path, text)| SourceFile { path, text }).collect()).snapshot;
    let as_of = "2025-06-01".parse().expect("date");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/profiles");
    let mut rows = Vec::new();
    for name in ["wenshang-garment-sme.json", "wenshang-textile-large.json"] {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(name)).expect("fixture")).expect("json");
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let id = Identity {
            credit_code: s("credit_code").unwrap_or_default(),
            name: s("name").unwrap_or_default(),
            town: s("town"),
            park: s("park"),
            chamber: s("chamber"),
            industry: s("industry_code"),
        };
        let profile = snap.parse_profile_json(&v).expect("valid profile");
        rows.push((id, snap.match_profile(&profile, as_of)));
    }
    zhengce_brief::build(&snap, Scope::Park("汶上经济开发区".into()), as_of, &rows)
}

/// Text without any whitespace (pdftotext breaks lines wherever the layout did).
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("zhengce-brief-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("brief.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = Command::new("pdftotext").arg("-enc").arg("UTF-8").arg(&path).arg("-").output().unwrap_or_else(|e| {
        panic!("pdftotext is needed to check the PDF's text ({e}): install poppler-utils (apt-get install -y poppler-utils)")
    });
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(out.stdout).expect("utf-8 text")
}

/// The text of the HTML headline paragraph (the group totals as the page states them).
fn html_headline(html: &str) -> String {
    let start = html.find("<p class=\"headline\">").expect("headline") + "<p class=\"headline\">".len();
    let end = start + html[start..].find("</p>").expect("end of headline");
    html[start..end].to_string()
}

/// Whether the Debian packages this check needs are here; without them it says so loudly and
/// stops, unless `ZHENGCE_REQUIRE_PDF_TOOLS=1` (set by `.ci/run`, which installs them) makes their
/// absence a failure.
fn pdf_tools_present() -> bool {
    let font = CjkFont::load(None).is_ok();
    let pdftotext = Command::new("pdftotext").arg("-v").output().is_ok();
    if font && pdftotext {
        return true;
    }
    let msg =
        "the PDF brief check needs fonts-wqy-microhei and poppler-utils (apt-get install -y fonts-wqy-microhei poppler-utils)";
    assert!(std::env::var("ZHENGCE_REQUIRE_PDF_TOOLS").as_deref() != Ok("1"), "{msg}");
    eprintln!("\n*** NOTE: PDF brief check NOT run: {msg}; .ci/run installs them and runs it. ***\n");
    false
}

#[test]
fn pdf_has_the_chinese_text_and_the_totals_of_the_html() {
    if !pdf_tools_present() {
        return;
    }
    let font = CjkFont::load(None).unwrap_or_else(|e| panic!("{e}"));
    let mut brief = brief();
    // An open request (诉求) attached to the first enterprise is printed too.
    let code = brief.enterprises[0].identity.credit_code.clone();
    let open = zhengce_brief::OpenRequest {
        id: 7,
        category: "用工".into(),
        text: "旺季缺二十名缝纫工".into(),
        state: "办理中".into(),
        department: Some("人力资源和社会保障局".into()),
        due: "2025-06-15".parse().ok(),
        overdue: false,
    };
    brief.attach_requests(&mut [(code, vec![open])].into_iter().collect());
    let pdf = zhengce_brief_pdf::render(&brief, &font).unwrap_or_else(|e| panic!("{e}"));
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let text = squeeze(&pdftotext(&pdf));
    let html = zhengce_brief::html::render(&brief);

    // The group totals, exactly as the HTML states them.
    let headline = html_headline(&html);
    assert!(headline.contains(&zhengce_brief::text::num(brief.totals.eligible.amount_wan)));
    assert!(text.contains(&squeeze(&headline)), "PDF lacks the HTML's totals {headline:?}\n---\n{text}");

    // Chinese text: the title, each enterprise with its own totals and team, the questions.
    assert!(text.contains(&squeeze(&brief.title)));
    for e in &brief.enterprises {
        assert!(text.contains(&squeeze(&e.identity.name)), "{}", e.identity.name);
        assert!(text.contains(&squeeze(&zhengce_brief::text::enterprise_summary(e))), "{}", e.identity.name);
        for d in &e.team {
            assert!(text.contains(&squeeze(&d.name)));
        }
        for q in &e.questions {
            let head: String = q.question.chars().take(12).collect();
            assert!(text.contains(&squeeze(&head)), "question {head}");
        }
    }
    assert!(text.contains("建议同行部门") && text.contains("要问的问题"));
    assert!(text.contains("在办诉求") && text.contains("旺季缺二十名缝纫工"), "{text}");
}

#[test]
fn a_missing_font_fails_with_a_chinese_message() {
    let missing = std::path::Path::new("/nonexistent/font.ttc");
    let err = CjkFont::load(Some(missing)).expect_err("no such font");
    assert!(matches!(err, PdfError::FontMissing { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("找不到中文字体文件") && msg.contains("fonts-wqy-microhei") && msg.contains("/nonexistent/font.ttc"),
        "{msg}"
    );
}

#[test]
fn a_file_without_chinese_glyphs_is_refused() {
    let err = CjkFont::from_bytes(b"not a font".to_vec(), "junk.ttf").expect_err("not a font");
    assert!(err.to_string().contains("不是可用的中文字体"), "{err}");
}

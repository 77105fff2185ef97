//! `zhengce brief` on a temporary SQLite store seeded with the demo county: Markdown and xlsx
//! briefs for a town, and the bad-input exits.

use std::io::Cursor;
use std::path::Path;
use std::process::{Command, Output};

use calamine::{Data, Reader, Xlsx};

const TOWN: &str = "中都街道";

fn zhengce(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhengce")).args(args).env_remove("ZHENGCE_DB").output().expect("binary runs")
}

/// Seeds `db` with `n` demo enterprises and returns how many lie in `town`.
///
/// The one place these tests know where the demo generator lives (`zhengce_roster::demo`).
fn seed_demo(db: &Path, n: u64, town: &str) -> usize {
    use zhengce_store::profiles::EnterpriseFilter;

    let files = zhengce_corpus::source_root().read().expect("the source tree's corpus is readable");
    let loaded = zhengce_engine::load(files.into_iter().map(|(path, text)| zhengce_engine::SourceFile { path, text }).collect());
    let schema = loaded.snapshot.schema().expect("the bundled schema loads");
    let url = format!("sqlite://{}", db.display());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let store = zhengce_store::Store::open(&url).await.expect("store opens");
        let written = zhengce_roster::demo::seed_if_empty(&store, schema, n, 1, 1_750_000_000_000).await.expect("seeded");
        assert_eq!(written as u64, n);
        let filter = EnterpriseFilter { town: Some(town.to_string()), ..EnterpriseFilter::default() };
        let in_town = store.list_enterprises(&filter, 10_000, 0).await.expect("listed").len();
        store.close().await;
        in_town
    })
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

#[test]
fn town_briefs_as_markdown_and_xlsx() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("zhengce.db");
    let in_town = seed_demo(&db, 120, TOWN);
    assert!(in_town > 3, "the demo county puts several firms in {TOWN}");
    let db_arg = db.display().to_string();

    let md = dir.path().join("brief.md");
    let o = zhengce(&["brief", "--town", TOWN, "--at", "2025-06-01", "--db", &db_arg, "--out", md.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let text_md = std::fs::read_to_string(&md).expect("markdown written");
    assert!(text_md.starts_with(&format!("# {TOWN} 走访简报")), "{}", &text_md[..200.min(text_md.len())]);
    assert!(text_md.contains(&format!("共 {in_town} 家企业")), "group total");
    assert!(text_md.contains("### 建议同行部门") && text_md.contains("**要问的问题**"));
    assert!(text_md.contains("（演示）"), "demo names are marked");
    assert!(String::from_utf8_lossy(&o.stderr).contains("已写入"));

    let xlsx = dir.path().join("brief.xlsx");
    let o = zhengce(&["brief", "--town", TOWN, "--at", "2025-06-01", "--db", &db_arg, "--out", xlsx.to_str().expect("path")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&xlsx).expect("xlsx written");
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("opens as xlsx");
    let summary = wb.worksheet_range("汇总").expect("summary");
    let enterprises = summary
        .rows()
        .find(|r| r.first().is_some_and(|c| text(c) == "企业数"))
        .and_then(|r| r.get(1).cloned())
        .expect("enterprise count");
    assert_eq!(enterprises, Data::Float(in_town as f64));
    let detail = wb.worksheet_range("明细").expect("detail");
    let towns: std::collections::BTreeSet<String> = detail.rows().skip(1).map(|r| text(&r[2])).collect();
    assert_eq!(towns.into_iter().collect::<Vec<_>>(), vec![TOWN.to_string()], "only the town's firms");

    // The same brief on standard output, as Markdown by default.
    let o = zhengce(&["brief", "--town", TOWN, "--at", "2025-06-01", "--db", &db_arg]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout), text_md);
}

#[test]
fn bad_input_exits_2_in_chinese() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("zhengce.db");
    seed_demo(&db, 20, TOWN);
    let db_arg = db.display().to_string();

    let o = zhengce(&["brief", "--town", "不存在镇", "--db", &db_arg]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("企业库中没有镇街为「不存在镇」的企业"));

    let o = zhengce(&["brief", "--town", TOWN, "--format", "xlsx", "--db", &db_arg]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out"));

    let out = dir.path().join("b.pdf");
    let o = zhengce(&[
        "brief",
        "--town",
        TOWN,
        "--db",
        &db_arg,
        "--font",
        "/nonexistent/x.ttc",
        "--out",
        out.to_str().expect("path"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("找不到中文字体文件"), "{}", String::from_utf8_lossy(&o.stderr));

    let o = zhengce(&["brief", "--db", &db_arg]);
    assert_eq!(o.status.code(), Some(2), "a scope is required");
}

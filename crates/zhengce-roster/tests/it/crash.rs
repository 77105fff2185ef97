//! Crash test: an import killed with SIGKILL mid-way leaves all of it or none of it, and a re-run
//! completes. The child is this test binary re-run on `crash::child_import` with the
//! `ZHENGCE_CRASH_CHILD_*` variables; it prints `progress N` after every chunk it has written
//! inside the open transaction, and the parent kills it at a chosen point.
//!
//! `ZHENGCE_CRASH_ROWS` sets the roster size (default 5,000; `.ci/store.sh` uses more).

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{Command, Stdio};

use zhengce_roster::demo::{DemoFormat, write_demo};
use zhengce_roster::import::{ImportOptions, Progress, import_file};
use zhengce_store::Store;

use crate::common::{TestDb, dbs, schema};

const CHILD_DB: &str = "ZHENGCE_CRASH_CHILD_DB";
const CHILD_FILE: &str = "ZHENGCE_CRASH_CHILD_FILE";

/// The child: imports the file, reporting progress on stdout (not captured by the test harness).
#[tokio::test]
async fn child_import() {
    let (Ok(url), Ok(file)) = (std::env::var(CHILD_DB), std::env::var(CHILD_FILE)) else { return };
    let store = Store::open(&url).await.expect("child opens the store");
    let schema = schema();
    let opts = ImportOptions { skip_invalid: false, actor: "crash-test", at_ms: 1 };
    let mut out = std::io::stdout();
    let mut progress = move |p: Progress| {
        let _ = writeln!(out, "progress {}", p.rows);
        let _ = out.flush();
    };
    let r = import_file(&store, Path::new(&file), schema, &opts, &mut progress).await.expect("child import");
    let mut out = std::io::stdout();
    let _ = writeln!(out, "committed {}", r.created + r.updated + r.unchanged);
    let _ = out.flush();
    store.close().await;
}

/// Runs the child; kills it once it reports `kill_at` rows (never, if `None`). True if it was killed.
fn run_child(db: &TestDb, file: &Path, kill_at: Option<usize>) -> bool {
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args(["--exact", "crash::child_import", "--nocapture", "--test-threads", "1"])
        .env(CHILD_DB, &db.url)
        .env(CHILD_FILE, file)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let stdout = BufReader::new(child.stdout.take().expect("piped"));
    for line in stdout.lines() {
        let line = line.expect("child output");
        let Some(n) = line.strip_prefix("progress ").and_then(|n| n.parse::<usize>().ok()) else { continue };
        if kill_at.is_some_and(|k| n >= k) {
            child.kill().expect("SIGKILL");
            break;
        }
    }
    let status = child.wait().expect("wait");
    match kill_at {
        Some(_) => status.signal() == Some(9),
        None => {
            assert!(status.success(), "child import failed: {status}");
            false
        }
    }
}

struct State {
    enterprises: i64,
    versions: i64,
    imports: usize,
}

async fn state(db: &TestDb) -> State {
    let store = db.open().await;
    assert_eq!(store.consistency_problems().await.expect("check"), Vec::<String>::new(), "{}", db.backend);
    let s = State {
        enterprises: store.count_enterprises().await.expect("count"),
        versions: store.count_profile_versions().await.expect("count"),
        imports: store.audit_log(0, 1000).await.expect("audit").iter().filter(|a| a.action == "import").count(),
    };
    store.close().await;
    s
}

#[test]
fn import_killed_mid_way_leaves_all_or_nothing() {
    if std::env::var(CHILD_DB).is_ok() {
        return;
    }
    let rows: usize = std::env::var("ZHENGCE_CRASH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(5_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let schema = schema();
    for db in rt.block_on(dbs()) {
        let file = db.dir.path().join("big-roster.csv");
        write_demo(std::fs::File::create(&file).expect("create"), schema, DemoFormat::Csv, rows as u64, 11, &mut |_| {})
            .expect("demo");
        rt.block_on(async { db.open().await.close().await });
        let n = rows as i64;

        let mut killed_before_commit = 0;
        for fraction in [10, 50, 95] {
            let killed = run_child(&db, &file, Some(rows * fraction / 100));
            let s = rt.block_on(state(&db));
            assert!(s.enterprises == 0 || s.enterprises == n, "{}: {} of {n} after a kill", db.backend, s.enterprises);
            assert_eq!(s.versions, s.enterprises);
            assert_eq!(s.imports, usize::from(s.enterprises == n));
            if s.enterprises == n {
                // The child finished between its last report and the kill: then it must be whole.
                break;
            }
            assert!(killed, "the child was killed");
            killed_before_commit += 1;
        }
        assert!(killed_before_commit >= 1, "{}: at least one kill landed inside the transaction", db.backend);
        eprintln!("{}: {killed_before_commit} kill(s) inside the import transaction left nothing", db.backend);

        run_child(&db, &file, None);
        let s = rt.block_on(state(&db));
        assert_eq!((s.enterprises, s.versions, s.imports), (n, n, 1), "{}: the re-run completes", db.backend);

        // Killing a re-import of the same file changes nothing either.
        run_child(&db, &file, Some(rows / 2));
        let s = rt.block_on(state(&db));
        assert_eq!((s.enterprises, s.versions, s.imports), (n, n, 1), "{}", db.backend);
    }
}

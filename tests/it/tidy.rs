//! Tidy tests: the code invariants of ARCHITECTURE.md, checked by `cargo test`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target" && n != "snapshots") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn core_crates_do_no_io_and_know_no_outside_system() {
    for krate in ["zhengce-model", "zhengce-rules", "zhengce-engine"] {
        let manifest = std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).unwrap();
        let deps = manifest.split("[dependencies]").nth(1).unwrap_or("").split("\n[").next().unwrap_or("");
        for banned in ["tokio", "axum", "sqlx", "tantivy", "jieba", "reqwest", "clap", "zhengce-search", "zhengce-store"] {
            assert!(!deps.contains(banned), "{krate} depends on {banned}");
        }
        let mut files = Vec::new();
        rust_files(&root().join("crates").join(krate).join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for banned in ["std::fs", "SystemTime::now", "Instant::now", "std::net", "std::process", "std::env"] {
                assert!(!text.contains(banned), "{} uses {banned}", f.display());
            }
        }
    }
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let mut files = Vec::new();
    for dir in ["crates", "tests", "benches"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 30);
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().trim_start().starts_with("//!"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a //! doc: {missing:?}");
}

#[test]
fn no_stubs_left_in_the_code() {
    let mut files = Vec::new();
    for dir in ["crates", "tests", "benches"] {
        rust_files(&root().join(dir), &mut files);
    }
    let todo = ["todo", "!("].concat();
    let unimpl = ["unimplemented", "!("].concat();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(!text.contains(&todo) && !text.contains(&unimpl), "{} has a stub", f.display());
    }
}

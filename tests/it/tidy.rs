//! Tidy tests: the invariants ARCHITECTURE.md states, checked by `cargo test` from each crate's
//! `Cargo.toml` and sources.

use std::collections::BTreeMap;
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

/// Every crate under `crates/`: name → parsed manifest.
fn manifests() -> BTreeMap<String, toml::Table> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(root().join("crates")).expect("crates/ exists").flatten() {
        let path = e.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let table: toml::Table = toml::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let name = table["package"]["name"].as_str().expect("package name").to_string();
        out.insert(name, table);
    }
    assert!(out.len() >= 7, "found only {:?}", out.keys());
    out
}

/// The names of a manifest's dependencies of one kind (`dependencies`, `dev-dependencies`, …).
fn deps(manifest: &toml::Table, kind: &str) -> Vec<String> {
    manifest.get(kind).and_then(|d| d.as_table()).map(|t| t.keys().cloned().collect()).unwrap_or_default()
}

const CORE: [&str; 3] = ["zhengce-model", "zhengce-rules", "zhengce-engine"];

/// Outside systems and the one crate allowed to know each.
const OWNERS: [(&str, &str); 7] = [
    ("axum", "zhengce-server"),
    ("tower", "zhengce-server"),
    ("tower-http", "zhengce-server"),
    ("hyper", "zhengce-server"),
    ("sqlx", "zhengce-store"),
    ("tantivy", "zhengce-search"),
    ("jieba-rs", "zhengce-search"),
];

#[test]
fn each_outside_system_is_known_by_one_crate() {
    for (krate, m) in manifests() {
        for dep in deps(&m, "dependencies").iter().chain(&deps(&m, "build-dependencies")) {
            if let Some((_, owner)) = OWNERS.iter().find(|(sys, _)| sys == dep) {
                assert_eq!(&krate, owner, "{krate} depends on {dep}, which only {owner} may know");
            }
        }
    }
}

#[test]
fn core_crates_depend_on_nothing_outside_the_core() {
    let banned = ["tokio", "clap", "reqwest", "rayon-core", "chrono", "time", "csv", "calamine"];
    for (krate, m) in manifests().into_iter().filter(|(k, _)| CORE.contains(&k.as_str())) {
        for dep in deps(&m, "dependencies") {
            let workspace_edge = dep.starts_with("zhengce-") && !CORE.contains(&dep.as_str());
            assert!(!workspace_edge, "core crate {krate} depends on edge crate {dep}");
            assert!(!banned.contains(&dep.as_str()), "core crate {krate} depends on {dep}");
            assert!(!OWNERS.iter().any(|(sys, _)| *sys == dep), "core crate {krate} depends on {dep}");
        }
    }
}

#[test]
fn the_engine_is_the_edges_one_door() {
    for (krate, m) in manifests() {
        if krate == "zhengce-engine" || krate == "zhengce-rules" {
            continue;
        }
        for kind in ["dependencies", "dev-dependencies", "build-dependencies"] {
            assert!(
                !deps(&m, kind).contains(&"zhengce-rules".to_string()),
                "{krate} {kind} reaches past the engine into zhengce-rules"
            );
        }
    }
    for extra in ["tests", "benches"] {
        let text = std::fs::read_to_string(root().join(extra).join("Cargo.toml")).expect("manifest");
        let m: toml::Table = toml::from_str(&text).expect("valid manifest");
        for kind in ["dependencies", "dev-dependencies"] {
            assert!(!deps(&m, kind).contains(&"zhengce-rules".to_string()), "{extra}/ {kind} reaches into zhengce-rules");
        }
    }
}

#[test]
fn the_store_does_not_know_the_rules() {
    let m = &manifests()["zhengce-store"];
    for dep in deps(m, "dependencies") {
        assert!(!["zhengce-rules", "zhengce-engine"].contains(&dep.as_str()), "zhengce-store depends on {dep}");
    }
}

/// Source text with comments, string and char literals blanked, so only code is checked.
fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !b.get(i.wrapping_sub(1)).is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // Raw string r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\''
            && next.is_some()
            && (b.get(i + 2) == Some(&'\'') || (next == Some('\\') && b[i + 2..].iter().take(10).any(|x| *x == '\'')))
        {
            // A char literal ('a', '\n', '\u{1F600}'); lifetimes ('a) have no closing quote nearby.
            i += 1;
            while i < b.len() && b[i] != '\'' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The IO and clock items a core crate mentions, in any spelling (`std::fs::read`, `use std::{fs}`,
/// `use std::{io, fs::File}`, `SystemTime`, `Instant`, …).
fn io_mentions(code: &str) -> Vec<String> {
    let squeezed: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    let squeezed = squeezed.replace(" :: ", "::").replace(":: ", "::").replace(" ::", "::");
    let mut found = Vec::new();
    let words: Vec<&str> = squeezed.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
    for w in [
        "SystemTime",
        "Instant",
        "UNIX_EPOCH",
        "File",
        "OpenOptions",
        "TcpStream",
        "TcpListener",
        "UdpSocket",
        "Command",
        "read_dir",
        "var_os",
        "set_var",
    ] {
        if words.contains(&w) {
            found.push(w.to_string());
        }
    }
    for (at, _) in squeezed.match_indices("std::") {
        let rest = &squeezed[at + 5..];
        let group = if let Some(inner) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = inner
                .char_indices()
                .find(|&(_, c)| {
                    if c == '{' {
                        depth += 1;
                    } else if c == '}' {
                        depth -= 1;
                    }
                    depth == 0
                })
                .map_or(inner.len(), |(i, _)| i);
            inner[..end].to_string()
        } else {
            rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("").to_string()
        };
        for module in group.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if ["fs", "net", "process", "env"].contains(&module) {
                found.push(format!("std::{module}"));
            }
        }
    }
    found
}

#[test]
fn the_io_check_sees_every_spelling() {
    for bad in [
        "use std::fs;",
        "use std::{fs};",
        "use std::{io, fs::File};",
        "use std :: { collections::HashMap , net } ;",
        "let t = std::time::SystemTime::now();",
        "fn f() { std::process::exit(1) }",
        "use std::{env as e};",
    ] {
        assert!(!io_mentions(&code_only(bad)).is_empty(), "missed: {bad}");
    }
    for good in ["use std::collections::HashMap;", "// std::fs in a comment", "let s = \"std::fs\";", "use std::fmt::Write as _;"]
    {
        assert!(io_mentions(&code_only(good)).is_empty(), "false alarm: {good}");
    }
}

#[test]
fn core_crates_do_no_io_and_read_no_clock() {
    // The visit-brief model renders to strings and bytes; it does no IO either.
    for krate in CORE.iter().chain(&["zhengce-brief"]) {
        let mut files = Vec::new();
        rust_files(&root().join("crates").join(krate).join("src"), &mut files);
        assert!(!files.is_empty());
        for f in files {
            let text = std::fs::read_to_string(&f).expect("readable source");
            let found = io_mentions(&code_only(&text));
            assert!(found.is_empty(), "{} uses {found:?}", f.display());
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
        .filter(|f| !std::fs::read_to_string(f).expect("readable").trim_start().starts_with("//!"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a //! doc: {missing:?}");
}

#[test]
fn each_crate_has_at_most_one_integration_test_binary() {
    for e in std::fs::read_dir(root().join("crates")).expect("crates/").flatten() {
        let tests = e.path().join("tests");
        let Ok(entries) = std::fs::read_dir(&tests) else { continue };
        let top_level: Vec<String> = entries
            .flatten()
            .filter(|x| x.path().extension().is_some_and(|x| x == "rs"))
            .map(|x| x.file_name().to_string_lossy().to_string())
            .collect();
        assert!(top_level.is_empty(), "{}: put {top_level:?} under tests/it/ as modules of one binary", tests.display());
    }
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
        let text = std::fs::read_to_string(&f).expect("readable");
        assert!(!text.contains(&todo) && !text.contains(&unimpl), "{} has a stub", f.display());
    }
}

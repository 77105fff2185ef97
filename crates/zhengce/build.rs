//! Embeds the bundled corpus (`policies/`, `rules/`) into the binary at build time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..").canonicalize().expect("workspace root exists");
    let mut code = String::from(
        "/// Every file of the bundled corpus: (path relative to the workspace root, contents).\npub static FILES: &[(&str, &str)] = &[\n",
    );
    for top in ["policies", "rules"] {
        let dir = root.join(top);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        walk(&dir, &mut files);
        for f in files {
            let rel = f.strip_prefix(&root).expect("under root").to_string_lossy().replace('\\', "/");
            let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !matches!(ext, "md" | "ron" | "txt" | "toml" | "json") {
                continue;
            }
            println!("cargo:rerun-if-changed={}", f.display());
            writeln!(code, "    ({rel:?}, include_str!({:?})),", f.display().to_string()).expect("write to string");
        }
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("corpus_files.rs");
    std::fs::write(out, code).expect("write generated corpus list");
}

//! Embeds the bundled corpus (`policies/`, `rules/`) into the binary at build time. Which files
//! belong to a corpus is decided in one place, `zhengce_corpus::files`.

use std::fmt::Write as _;
use std::path::PathBuf;

use zhengce_corpus::CorpusDirs;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..").canonicalize().expect("workspace root exists");
    let dirs = CorpusDirs::under(&root);
    println!("cargo:rerun-if-changed={}", dirs.policies.display());
    println!("cargo:rerun-if-changed={}", dirs.rules.display());
    let files = dirs.list().unwrap_or_else(|e| panic!("cannot list the bundled corpus: {e}"));
    let mut code = String::from(
        "/// Every file of the bundled corpus: (path relative to the workspace root, contents).\npub static FILES: &[(&str, &str)] = &[\n",
    );
    for (rel, path) in files {
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(code, "    ({rel:?}, include_str!({:?})),", path.display().to_string()).expect("write to string");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("corpus_files.rs");
    std::fs::write(out, code).expect("write generated corpus list");
}

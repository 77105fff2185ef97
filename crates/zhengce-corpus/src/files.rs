//! Reading corpus files from disk. Standard library only.

use std::fmt;
use std::path::{Path, PathBuf};

/// The two top-level folders of a corpus, in load order.
pub const TOPS: [&str; 2] = ["policies", "rules"];

/// File extensions that belong to a corpus (policy text, rules, search dictionaries).
pub const EXTENSIONS: [&str; 5] = ["md", "ron", "txt", "toml", "json"];

/// Where a corpus lives: one folder for policies, one for rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusDirs {
    /// The `policies/` folder.
    pub policies: PathBuf,
    /// The `rules/` folder.
    pub rules: PathBuf,
}

impl CorpusDirs {
    /// `root/policies` and `root/rules`.
    pub fn under(root: &Path) -> CorpusDirs {
        CorpusDirs { policies: root.join("policies"), rules: root.join("rules") }
    }

    /// The folder of a top-level name (`policies` or `rules`).
    pub fn dir(&self, top: &str) -> &Path {
        if top == "rules" { &self.rules } else { &self.policies }
    }

    /// Every corpus file under both folders: (path relative to the corpus root, file on disk),
    /// sorted by relative path.
    pub fn list(&self) -> Result<Vec<(String, PathBuf)>, ReadError> {
        let mut out = Vec::new();
        for top in TOPS {
            list_under(self.dir(top), top, &mut out)?;
        }
        out.sort();
        Ok(out)
    }

    /// Reads every corpus file: (relative path, text).
    pub fn read(&self) -> Result<Vec<(String, String)>, ReadError> {
        self.list()?
            .into_iter()
            .map(|(rel, p)| match std::fs::read_to_string(&p) {
                Ok(text) => Ok((rel, text)),
                Err(e) => Err(ReadError { path: p, message: e.to_string() }),
            })
            .collect()
    }
}

/// The corpus of this source tree (the workspace's `policies/` and `rules/`), for tests, benches
/// and examples. Release binaries embed their corpus instead (see the binary's `build.rs`).
pub fn source_root() -> CorpusDirs {
    CorpusDirs::under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// Lists the corpus files of one folder into `out` with paths `top/…`.
pub fn list_under(dir: &Path, top: &str, out: &mut Vec<(String, PathBuf)>) -> Result<(), ReadError> {
    if !dir.is_dir() {
        return Err(ReadError { path: dir.to_path_buf(), message: "不是文件夹 (not a folder)".into() });
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| ReadError { path: d.clone(), message: e.to_string() })?;
        for e in entries {
            let p = e.map_err(|e| ReadError { path: d.clone(), message: e.to_string() })?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().and_then(|x| x.to_str()).is_some_and(|x| EXTENSIONS.contains(&x)) {
                let rel = p.strip_prefix(dir).unwrap_or(&p).to_string_lossy().replace('\\', "/");
                out.push((format!("{top}/{rel}"), p));
            }
        }
    }
    Ok(())
}

/// A corpus file or folder that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The file or folder.
    pub path: PathBuf,
    /// Why.
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for ReadError {}

//! Where the corpus comes from: the copy embedded at build time, or `--policies` / `--rules` folders.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use zhengce_engine::{Loaded, SourceFile};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/corpus_files.rs"));
}

/// Flags choosing the corpus.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CorpusArgs {
    /// Use the policies in this folder instead of the bundled ones.
    #[arg(long, value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// Use the rules (schema, derived facts, rule files) in this folder instead of the bundled ones.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

fn read_dir_files(dir: &Path, prefix: &str, out: &mut Vec<SourceFile>) -> anyhow::Result<()> {
    let mut paths = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).with_context(|| format!("cannot read folder {}", d.display()))?;
        for e in entries {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                paths.push(p);
            }
        }
    }
    paths.sort();
    for p in paths {
        let rel = p.strip_prefix(dir).unwrap_or(&p).to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?;
        out.push(SourceFile { path: format!("{prefix}/{rel}"), text });
    }
    Ok(())
}

/// The corpus files chosen by the flags.
pub fn files(args: &CorpusArgs) -> anyhow::Result<Vec<SourceFile>> {
    let mut out = Vec::new();
    for (top, over) in [("policies", &args.policies), ("rules", &args.rules)] {
        match over {
            Some(dir) => {
                if !dir.is_dir() {
                    return Err(crate::exit::bad_input(format!("{} is not a folder", dir.display())));
                }
                read_dir_files(dir, top, &mut out)?;
            }
            None => out.extend(
                embedded::FILES
                    .iter()
                    .filter(|(p, _)| p.starts_with(&format!("{top}/")))
                    .map(|(p, t)| SourceFile { path: (*p).to_string(), text: (*t).to_string() }),
            ),
        }
    }
    Ok(out)
}

/// Loads the corpus chosen by the flags into an engine snapshot plus diagnostics.
pub fn load(args: &CorpusArgs) -> anyhow::Result<Loaded> {
    Ok(zhengce_engine::load(files(args)?))
}

/// Loads the corpus for matching. Files with errors are left out (one bad file never hides the
/// others) and a warning names how many problems `zhengce check` will show; a corpus whose schema
/// cannot load fails with exit status 2.
#[allow(clippy::print_stderr)]
pub fn load_clean(args: &CorpusArgs) -> anyhow::Result<Loaded> {
    let loaded = load(args)?;
    if loaded.snapshot.schema().is_none() {
        let msgs: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
        return Err(crate::exit::bad_input(format!("规则库无法加载：\n{}", msgs.join("\n"))));
    }
    if !loaded.diagnostics.is_empty() {
        eprintln!("警告：规则库有 {} 个问题，已跳过有问题的文件（运行 zhengce check 查看详情）", loaded.diagnostics.len());
    }
    Ok(loaded)
}

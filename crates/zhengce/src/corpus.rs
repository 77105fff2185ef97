//! Where the corpus comes from: the copy embedded at build time, or `--policies` / `--rules` folders.
//! Reading folders and building the serving corpus are `zhengce_corpus`'s; this module only
//! chooses between the embedded copy and the flags.

use std::path::PathBuf;

use zhengce_corpus::{Corpus, files::list_under};
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

/// The corpus files chosen by the flags.
pub fn files(args: &CorpusArgs) -> anyhow::Result<Vec<SourceFile>> {
    let mut out = Vec::new();
    for (top, over) in [("policies", &args.policies), ("rules", &args.rules)] {
        match over {
            Some(dir) => {
                if !dir.is_dir() {
                    return Err(crate::exit::bad_input(format!("{} is not a folder", dir.display())));
                }
                let mut listed = Vec::new();
                list_under(dir, top, &mut listed)?;
                listed.sort();
                for (path, file) in listed {
                    let text =
                        std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
                    out.push(SourceFile { path, text });
                }
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
pub fn load_clean(args: &CorpusArgs) -> anyhow::Result<Loaded> {
    let loaded = load(args)?;
    if loaded.snapshot.schema().is_none() {
        let msgs: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
        return Err(crate::exit::bad_input(format!("规则库无法加载：\n{}", msgs.join("\n"))));
    }
    warn_problems(loaded.diagnostics.len());
    Ok(loaded)
}

#[allow(clippy::print_stderr)]
fn warn_problems(n: usize) {
    if n > 0 {
        eprintln!("警告：规则库有 {n} 个问题，已跳过有问题的文件（运行 zhengce check 查看详情）");
    }
}

/// Builds the serving corpus (snapshot + search index) chosen by the flags; warnings as
/// [`load_clean`], search-data problems to the log.
pub fn serving(args: &CorpusArgs) -> anyhow::Result<Corpus> {
    let built = Corpus::build(files(args)?).map_err(|e| match e {
        zhengce_corpus::BuildError::NoSchema(_) => crate::exit::bad_input(e.to_string()),
        other => anyhow::Error::new(other),
    })?;
    warn_problems(built.diagnostics.len());
    for w in &built.search_warnings {
        tracing::warn!("search config: {w}");
    }
    Ok(built.corpus)
}

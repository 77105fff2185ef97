//! The serving corpus: engine snapshot and search index, built together from the same files.

use std::fmt;

use zhengce_engine::{Diagnostic, Loaded, Snapshot, SourceFile};
use zhengce_search::{ConfigFile, SearchConfig, SearchIndex};

use crate::files::{CorpusDirs, ReadError};

/// What a service answers from: rules and policies, and search over the same policies.
pub struct Corpus {
    /// Rules and policies.
    pub snapshot: Snapshot,
    /// Search over the snapshot's policies.
    pub search: SearchIndex,
}

/// Why a serving corpus could not be built.
#[derive(Debug)]
pub enum BuildError {
    /// A file could not be read.
    Read(ReadError),
    /// The profile schema did not load, so nothing can be matched; the diagnostics say why.
    NoSchema(Vec<Diagnostic>),
    /// The search index could not be built.
    Search(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Read(e) => write!(f, "cannot read the corpus: {e}"),
            BuildError::NoSchema(ds) => {
                write!(f, "规则库无法加载：")?;
                for d in ds {
                    write!(f, "\n{d}")?;
                }
                Ok(())
            }
            BuildError::Search(e) => write!(f, "building the search index: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// A built corpus and what was wrong with its files.
pub struct Built {
    /// The corpus (files with errors left out).
    pub corpus: Corpus,
    /// Problems with rule and policy files (`zhengce check` shows them all).
    pub diagnostics: Vec<Diagnostic>,
    /// Lines of the search dictionary or synonym list that were skipped.
    pub search_warnings: Vec<String>,
}

/// The search configuration (dictionary and synonyms) found among the corpus files.
pub fn search_config(files: &[SourceFile]) -> (SearchConfig, Vec<String>) {
    let text = |f: ConfigFile| files.iter().find(|x| x.path == f.path()).map_or("", |x| x.text.as_str());
    let (config, problems) = SearchConfig::parse(text(ConfigFile::Synonyms), text(ConfigFile::Dict));
    (config, problems.iter().map(ToString::to_string).collect())
}

impl Corpus {
    /// Builds the corpus from files. Files with errors are left out (one bad file never hides the
    /// others) and come back as diagnostics; a corpus whose schema cannot load is refused.
    pub fn build(files: Vec<SourceFile>) -> Result<Built, BuildError> {
        let (config, search_warnings) = search_config(&files);
        let Loaded { snapshot, diagnostics } = zhengce_engine::load(files);
        if snapshot.schema().is_none() {
            return Err(BuildError::NoSchema(diagnostics));
        }
        let search = SearchIndex::build(snapshot.policies(), config).map_err(|e| BuildError::Search(e.to_string()))?;
        Ok(Built { corpus: Corpus { snapshot, search }, diagnostics, search_warnings })
    }

    /// Reads and builds the corpus in `dirs`.
    pub fn from_dirs(dirs: &CorpusDirs) -> Result<Built, BuildError> {
        Corpus::build(source_files(dirs).map_err(BuildError::Read)?)
    }

    /// The corpus of this source tree, for tests; panics with the diagnostics if it does not build.
    pub fn source_tree() -> Corpus {
        match Corpus::from_dirs(&crate::source_root()) {
            Ok(b) => b.corpus,
            Err(e) => panic!("the source tree's corpus does not build: {e}"),
        }
    }
}

/// Reads the corpus in `dirs` as engine source files.
pub fn source_files(dirs: &CorpusDirs) -> Result<Vec<SourceFile>, ReadError> {
    Ok(dirs.read()?.into_iter().map(|(path, text)| SourceFile { path, text }).collect())
}

//! The one way to read a corpus from disk, and to build the corpus a service answers from.
//!
//! - [`files`] (std only, usable from build scripts with `default-features = false`): which files
//!   make up a corpus (`policies/**` and `rules/**` with a known extension), read in a stable order,
//!   with paths relative to the corpus root (`policies/x.md`, `rules/y.ron`), and [`source_root`],
//!   the corpus of this source tree (for tests, benches and examples).
//! - [`Corpus`] (feature `serving`, on by default): the engine snapshot and its search index, built
//!   together from the same files. The CLI, the server and every test that serves use it.

pub mod files;

#[cfg(feature = "serving")]
mod serving;

pub use files::{CorpusDirs, ReadError, source_root};
#[cfg(feature = "serving")]
pub use serving::{BuildError, Built, Corpus, search_config, source_files};

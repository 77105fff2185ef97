//! The search crate's integration tests, one binary: ranking and filters on an inline corpus
//! (`behaviour`), hostile input (`hostile`) and the relevance set over the bundled corpus
//! (`relevance`).

mod behaviour;
mod common;
mod hostile;
mod relevance;
mod succession;

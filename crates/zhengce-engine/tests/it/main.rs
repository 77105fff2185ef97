//! The engine's integration tests, one binary (link time matters on 2 cores): the bundled corpus,
//! one broken file per diagnostic code, insta snapshots of explanations, and the engine's laws as
//! property tests.

mod batch;
mod columnar;
mod common;
mod corpus;
mod dated;
mod diagnostics;
mod explanations;
mod properties;

//! Test helpers: one store per backend (see `zhengce_store::testing`).

pub use zhengce_store::testing::{code, dbs};

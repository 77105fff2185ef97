//! The zhengce integration tests, one binary.

mod brief;
mod cli;

//! The zhengce integration tests, one binary.

mod cli;

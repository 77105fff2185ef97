//! Integration tests.

mod search;
mod tidy;

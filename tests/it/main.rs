//! Integration tests.

mod search;

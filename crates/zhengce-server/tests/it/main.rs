//! The zhengce-server integration tests, one binary.

mod http;

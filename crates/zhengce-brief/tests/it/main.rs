//! zhengce-brief's integration tests, one binary: the Markdown snapshot, the xlsx read back, the
//! HTML page, and the laws of the model (no double counting, question ranking).

mod common;
mod html;
mod markdown;
mod model;
mod xlsx;

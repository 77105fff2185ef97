//! The server's integration tests, one binary: API shapes and errors (`http`), accounts, sessions,
//! CSRF, rate limits and the access matrix (`access`), load shedding (`shed`), the web UI (`web`)
//! push inside the service (`push`), and its browser flows in headless Chromium (`browser`, only with `ZHENGCE_BROWSER_TESTS=1`).

mod access;
mod briefs;
mod browser;
mod common;
mod http;
mod openapi;
mod push;
mod reload;
pub mod requests;
mod web;

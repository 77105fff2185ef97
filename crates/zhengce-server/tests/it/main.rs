//! The server's integration tests, one binary: API shapes and errors (`http`), accounts, sessions,
//! CSRF, rate limits and the access matrix (`access`), load shedding (`shed`).

mod access;
mod common;
mod http;
mod openapi;
mod reload;

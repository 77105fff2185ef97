//! Vocabulary and file formats of zhengce: policies, the profile schema, fact values and match results.
//!
//! This crate does no IO and never reads the clock. Its serde types are the stable file formats of
//! `policies/` and `rules/` (see `docs/policy-format.md` and the `zhengce-rules` crate docs);
//! their semantics live in `zhengce-rules` and `zhengce-engine`.
//!
//! - [`policy`]: `policies/<slug>.md` front matter and body, [`policy::parse_policy`].
//! - [`schema`]: `rules/schema.ron` and `rules/derived.ron`.
//! - [`fact`]: [`fact::FactValue`] and [`fact::Profile`].
//! - [`rule`]: `rules/<slug>.ron` rule files.
//! - [`region`]: `rules/region-facts.ron`, facts that hold for a whole region.
//! - [`verdict`]: the match result shapes of `contracts.md`.
//! - [`request`]: enterprise requests (诉求) and their closed loop (a pure state machine and figures).
//! - [`diagnostic`]: stable diagnostic codes with file, line and column.
//! - [`date`], [`uscc`]: dates and the GB 32100-2015 credit-code check.

pub mod clock;
pub mod date;
pub mod diagnostic;
pub mod fact;
pub mod policy;
pub mod region;
pub mod request;
pub mod rule;
pub mod schema;
pub mod uscc;
pub mod verdict;

pub use date::Date;

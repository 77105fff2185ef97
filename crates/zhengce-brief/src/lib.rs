//! Visit briefs (走访简报): what a Red-Collar officer takes to one enterprise, or to a town, park or
//! chamber visited together (进一次门、办多项事).
//!
//! One model, [`Brief`], is built by [`build`] from each enterprise's identity and its
//! `MatchReport` (from `Snapshot::match_profile`) plus the snapshot for policy metadata
//! (department, materials, channel, source documents, deadlines, application windows). Per
//! enterprise it holds the eligible, possible and near-miss policies with amounts (one document
//! per support is counted: a provincial document that `implements` a national one is never summed
//! twice), the questions to ask (ranked by the amount they could unlock, then by how many policies
//! they settle), deadlines, materials and the team (the departments of every matter to discuss);
//! and group totals; the caller may attach each enterprise's open requests (诉求,
//! [`Brief::attach_requests`]) so the visiting team can answer them. Every renderer reads the same
//! model:
//!
//! - [`html::render`]: a standalone Chinese HTML page with an A4 print stylesheet;
//! - [`markdown::render`]: Markdown (snapshot-tested);
//! - [`xlsx::render`]: an xlsx workbook (summary sheet, one long detail sheet, questions sheet, open requests when any).
//!
//! The PDF lives in `zhengce-brief-pdf` (typst), so the heavy typesetter stays out of this crate.
//! No IO and no clock: the date is a parameter and outputs are strings or bytes.

pub mod html;
pub mod markdown;
mod model;
pub mod text;
pub mod xlsx;

pub use model::{
    Brief, Department, EnterpriseBrief, Identity, Item, MAX_QUESTIONS, Mark, Material, OpenRequest, PolicyCount, Question, Scope,
    Tally, Totals, Window, build,
};

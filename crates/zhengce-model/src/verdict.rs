//! Match results: the JSON shapes of `zhengce match` (see `contracts.md`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::date::Date;
use crate::policy::{Confidence, Dimension, Level, Marking};

/// The answer for one policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every condition is known and holds.
    Eligible,
    /// No known condition fails, but facts are missing.
    Possible,
    /// Fails only on numeric thresholds, each by a small margin.
    NearMiss,
    /// Otherwise.
    Ineligible,
}

impl Status {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Eligible => "eligible",
            Status::Possible => "possible",
            Status::NearMiss => "near_miss",
            Status::Ineligible => "ineligible",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Status::Eligible => "符合",
            Status::Possible => "可能符合",
            Status::NearMiss => "差一点",
            Status::Ineligible => "不符合",
        }
    }
}

/// The outcome of one condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Holds.
    Pass,
    /// Does not hold.
    Fail,
    /// Cannot be decided from what is known.
    Unknown,
}

/// One line of explanation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reason {
    /// Pass, fail or unknown.
    pub outcome: Outcome,
    /// Chinese text with the values used.
    pub text: String,
    /// Nesting depth (0 = top-level condition).
    pub depth: usize,
    /// True for an alternative that no longer matters because another alternative of its group
    /// already holds (shown muted, never as a failure).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub settled: bool,
    /// The confidence of the facts it rests on, when they are secondary or general knowledge (`S`,
    /// `GK`); the text then says 待核实. Absent for verified facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
}

/// A missing fact and the question to ask.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Missing {
    /// Canonical field name.
    pub field: String,
    /// The question, in Chinese.
    pub question: String,
}

/// A region fact that a result waits on: known to officers, never asked of the enterprise.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RegionMissing {
    /// Canonical field name (a region fact of the schema).
    pub field: String,
    /// The division the fact is about (the enterprise's registered region).
    pub region: String,
    /// The question for officers, in Chinese.
    pub question: String,
}

/// One question of a match: a missing fact, asked once, with what answering it could settle.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Question {
    /// Canonical field name.
    pub field: String,
    /// The question, in Chinese.
    pub question: String,
    /// The policies whose verdict waits on it (slugs, in result order).
    pub policies: Vec<String>,
    /// The amount it could confirm: the sum of those policies' conservative amounts (万元), each
    /// benefit counted once (a local document implementing a national one is not added again).
    pub unlocks_wan: f64,
    /// The unit of the answer (人, 万元, 个月), empty for none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// Answer choices, when useful (是/否/不清楚, ranges).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Where to find the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The gate: a question earlier in the list that must be answered first (this one only matters
    /// after it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// A region fact some results wait on, for officers (待确认的地区事实).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RegionQuestion {
    /// Canonical field name.
    pub field: String,
    /// The division it is about.
    pub region: String,
    /// The question for officers.
    pub question: String,
    /// The policies waiting on it.
    pub policies: Vec<String>,
    /// The amount it could confirm, as for [`Question::unlocks_wan`].
    pub unlocks_wan: f64,
}

/// A numeric threshold missed by a small margin.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Gap {
    /// The field or derived fact.
    pub field: String,
    /// Its current value.
    pub current: f64,
    /// The threshold.
    pub required: f64,
    /// Chinese text.
    pub text: String,
}

/// An estimated benefit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Benefit {
    /// Amount in 万元.
    pub amount_wan: f64,
    /// Chinese text.
    pub text: String,
}

/// What a [`Note`] is about, so callers choose notes by kind instead of parsing their text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoteKind {
    /// The policy's marking badge (【草案/待核实】, 【示例】, 【历史政策】).
    Badge,
    /// Some criteria are unverified (general knowledge or secondary sources).
    Unverified,
    /// The verdict rests on a region fact (a local option, a pilot status): which one, and its
    /// source, or that officers have yet to confirm it.
    RegionFact,
    /// The application window: not yet open, open, or closed.
    Window,
    /// The amount cannot be computed from what is known.
    AmountUnknown,
    /// This policy implements another one locally; amounts are not added up.
    Implements,
    /// A note written in the policy file itself.
    Policy,
}

impl NoteKind {
    /// Whether a short display (a terminal table, a card) shows notes of this kind; the full
    /// list is always in the JSON.
    pub fn is_short_caveat(self) -> bool {
        matches!(self, NoteKind::Badge | NoteKind::Unverified | NoteKind::RegionFact | NoteKind::Window | NoteKind::AmountUnknown)
    }
}

/// A caveat on a result: its kind and its Chinese text. Serialised as the text alone (the JSON
/// shape of `contracts.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// What the note is about.
    pub kind: NoteKind,
    /// Chinese text.
    pub text: String,
}

impl Note {
    /// A note of `kind` with `text`.
    pub fn new(kind: NoteKind, text: impl Into<String>) -> Note {
        Note { kind, text: text.into() }
    }
}

impl Serialize for Note {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Whether a policy's application window is open on the matching date (`contracts.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    /// Inside the window: apply now.
    Open,
    /// The window opens later.
    NotYet,
    /// The window has closed: not something to apply for now.
    Closed,
    /// No fixed window (免申即享, filed with taxes, or applied for at any time).
    #[default]
    Rolling,
}

impl WindowState {
    /// The state of the window `opens..=closes` (either end may be unknown) on `as_of`.
    pub fn at(opens: Option<Date>, closes: Option<Date>, as_of: Date) -> WindowState {
        match (opens, closes) {
            (None, None) => WindowState::Rolling,
            (Some(o), _) if as_of < o => WindowState::NotYet,
            (_, Some(c)) if as_of > c => WindowState::Closed,
            _ => WindowState::Open,
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            WindowState::Open => "申报中",
            WindowState::NotYet => "尚未开始申报",
            WindowState::Closed => "申报已截止",
            WindowState::Rolling => "常年可办",
        }
    }
}

/// The application window of a result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Application {
    /// First day to apply, when known.
    pub opens: Option<Date>,
    /// Last day to apply, when known.
    pub closes: Option<Date>,
    /// Open, not yet open, closed or rolling on the matching date.
    pub state: WindowState,
}

/// The result for one policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyResult {
    /// Slug.
    pub policy: String,
    /// Short title.
    pub title: String,
    /// Level.
    pub level: Level,
    /// Dimensions.
    pub dimensions: Vec<Dimension>,
    /// Responsible county department.
    pub department: String,
    /// The verdict.
    pub status: Status,
    /// Estimated benefit, when defined and computable.
    pub benefit: Option<Benefit>,
    /// Condition-by-condition reasons.
    pub reasons: Vec<Reason>,
    /// Facts to ask the enterprise now. With `region_missing`, non-empty exactly when `status` is
    /// `possible`; a fact whose gate is also unknown waits for the gate; a result waiting on an
    /// unconfirmed region fact asks the enterprise nothing until officers confirm it.
    pub missing: Vec<Missing>,
    /// Region facts the verdict waits on (for officers, never asked of the enterprise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub region_missing: Vec<RegionMissing>,
    /// Non-empty exactly when `status` is `near_miss`.
    pub gaps: Vec<Gap>,
    /// Application deadline or end of the policy, whichever comes first.
    pub deadline: Option<Date>,
    /// The application window and whether it is open on the matching date.
    pub application: Application,
    /// `official`, `draft`, `sample` or `historical`.
    pub marking: Marking,
    /// `V`, `S` or `GK`: the lowest confidence of the facts that decided this verdict (criteria,
    /// parameters, region facts; unmarked ones count at the policy's mark).
    pub confidence: Confidence,
    /// Caveats to show (draft badge, unverified facts, expiry notes), each with its kind.
    pub notes: Vec<Note>,
    /// The policy this one implements locally: the same benefit, so amounts must not be added up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implements: Option<String>,
}

/// The full answer for one enterprise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatchReport {
    /// The date matched against.
    pub as_of: Date,
    /// Hex digest of the corpus.
    pub rules_version: String,
    /// Derived facts that could be computed.
    pub derived: BTreeMap<String, serde_json::Value>,
    /// Every policy in force on `as_of`, best first.
    pub results: Vec<PolicyResult>,
    /// Each distinct missing fact once, ranked by the amount it could confirm, then by how many
    /// policies it settles; a gate before the questions that depend on it.
    pub questions: Vec<Question>,
    /// Region facts the results wait on, for officers (待确认的地区事实); never asked of the enterprise.
    pub region_questions: Vec<RegionQuestion>,
}

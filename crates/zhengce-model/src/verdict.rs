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
}

/// A missing fact and the question to ask.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Missing {
    /// Canonical field name.
    pub field: String,
    /// The question, in Chinese.
    pub question: String,
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
        matches!(self, NoteKind::Badge | NoteKind::Unverified | NoteKind::Window | NoteKind::AmountUnknown)
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
    /// Non-empty exactly when `status` is `possible`.
    pub missing: Vec<Missing>,
    /// Non-empty exactly when `status` is `near_miss`.
    pub gaps: Vec<Gap>,
    /// Application deadline or end of the policy, whichever comes first.
    pub deadline: Option<Date>,
    /// The application window and whether it is open on the matching date.
    pub application: Application,
    /// `official`, `draft`, `sample` or `historical`.
    pub marking: Marking,
    /// `V`, `S` or `GK`.
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
}

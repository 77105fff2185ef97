//! View models shared by pages: a match result as a card, policy facts, dates, times and amounts
//! as Chinese text. Templates only print these; every decision about wording is made here.

use zhengce_engine::format::num;
use zhengce_engine::{Schema, Snapshot};
use zhengce_model::Date;
use zhengce_model::policy::{Confidence, Dimension, Policy, PolicyMeta};
use zhengce_model::verdict::{NoteKind, Outcome, PolicyResult, Status, WindowState};

use super::form::{self, FieldView};

/// One badge: text and a CSS class.
#[derive(Clone, Debug)]
pub(crate) struct Badge {
    pub text: String,
    pub class: &'static str,
}

/// One reason line.
#[derive(Clone, Debug)]
pub(crate) struct ReasonLine {
    /// `pass`, `fail` or `unknown`.
    pub outcome: &'static str,
    /// ✓, ✗ or ?.
    pub icon: &'static str,
    pub text: String,
    pub depth: usize,
    pub settled: bool,
}

/// A question to ask, with the widget that answers it.
#[derive(Clone, Debug)]
pub(crate) struct Question {
    pub text: String,
    pub field: FieldView,
}

/// A cited source.
#[derive(Clone, Debug)]
pub(crate) struct SourceLink {
    pub title: String,
    pub url: String,
}

/// One policy's result as a card.
#[derive(Clone, Debug)]
pub(crate) struct Card {
    pub slug: String,
    pub title: String,
    /// `eligible`, `possible`, `near_miss`, `ineligible`.
    pub status: &'static str,
    pub status_label: &'static str,
    pub level: &'static str,
    pub dimensions: String,
    pub department: String,
    /// "约 5.76 万元", when computable.
    pub amount: String,
    pub benefit_text: String,
    pub benefit_summary: String,
    pub reasons: Vec<ReasonLine>,
    pub gaps: Vec<String>,
    pub questions: Vec<Question>,
    pub deadline: String,
    pub window: String,
    /// `open`, `not_yet`, `closed`, `rolling`.
    pub window_state: &'static str,
    pub materials: Vec<String>,
    pub channel: String,
    pub doc: String,
    pub sources: Vec<SourceLink>,
    pub badges: Vec<Badge>,
    /// Short caveats (unverified facts, amount unknown, not added up).
    pub caveats: Vec<String>,
    /// The policy file's own notes.
    pub notes: Vec<String>,
}

/// Chinese labels of the dimensions.
pub(crate) fn dimensions(ds: &[Dimension]) -> String {
    ds.iter().map(|d| d.label()).collect::<Vec<_>>().join("、")
}

/// An amount in 万元 as text.
pub(crate) fn wan(amount: f64) -> String {
    format!("约 {} 万元", num(amount))
}

/// The application window: a CSS state and a sentence.
pub(crate) fn window_text(opens: Option<Date>, closes: Option<Date>, state: WindowState) -> (&'static str, String) {
    let class = match state {
        WindowState::Open => "open",
        WindowState::NotYet => "not_yet",
        WindowState::Closed => "closed",
        WindowState::Rolling => "rolling",
    };
    let range = match (opens, closes) {
        (Some(o), Some(c)) => format!("{o} 至 {c}"),
        (Some(o), None) => format!("{o} 起"),
        (None, Some(c)) => format!("截至 {c}"),
        (None, None) => String::new(),
    };
    let text = if state == WindowState::Rolling {
        "常年可办（无固定申报期，符合条件即可办理）".to_string()
    } else {
        format!("申报期 {range}（{}）", state.label())
    };
    (class, text)
}

/// The application window of a policy on `as_of`.
pub(crate) fn window(meta: &PolicyMeta, as_of: Date) -> (&'static str, String) {
    window_text(meta.apply_from, meta.apply_to, WindowState::at(meta.apply_from, meta.apply_to, as_of))
}

/// Badges for a policy: marking and confidence.
pub(crate) fn badges(meta: &PolicyMeta) -> Vec<Badge> {
    let mut out = Vec::new();
    if let Some(b) = meta.marking.badge() {
        out.push(Badge { text: b.to_string(), class: "badge-draft" });
    }
    match meta.confidence {
        Confidence::V => out.push(Badge { text: "已核实".into(), class: "badge-ok" }),
        Confidence::S => out.push(Badge { text: "二手来源".into(), class: "badge-warn" }),
        Confidence::GK => out.push(Badge { text: "部分待核实".into(), class: "badge-warn" }),
    }
    out
}

/// The sources of a policy.
pub(crate) fn sources(meta: &PolicyMeta) -> Vec<SourceLink> {
    meta.sources
        .iter()
        .map(|s| SourceLink { title: s.title.clone(), url: s.url.clone().filter(|u| u.starts_with("http")).unwrap_or_default() })
        .collect()
}

/// The document reference: 文号 and full title.
pub(crate) fn doc(meta: &PolicyMeta) -> String {
    match (&meta.doc_title, &meta.doc_number) {
        (Some(t), Some(n)) => format!("《{t}》（{n}）"),
        (Some(t), None) => format!("《{t}》"),
        (None, Some(n)) => n.clone(),
        (None, None) => String::new(),
    }
}

/// A result as a card (each question with an empty widget that answers it).
pub(crate) fn card(snap: &Snapshot, r: &PolicyResult) -> Card {
    let policy: Option<&Policy> = snap.policy(&r.policy);
    let schema: Option<&Schema> = snap.schema();
    let questions = r
        .missing
        .iter()
        .map(|m| Question {
            text: m.question.clone(),
            field: schema
                .and_then(|s| s.field(&m.field))
                .map(|def| {
                    // Answers travel as `q:<field>`, a radio group of their own: sharing the form's
                    // group would let htmx's swap uncheck the re-rendered form's radio.
                    let mut v = form::field_view(def, "", None, &format!("q-{}", r.policy));
                    v.name = format!("{}{}", form::ANSWER_PREFIX, def.name);
                    v
                })
                .unwrap_or_else(|| form::text_view(&m.field, &m.field)),
        })
        .collect();
    let reasons = r
        .reasons
        .iter()
        .map(|x| {
            let (outcome, icon) = match x.outcome {
                Outcome::Pass => ("pass", "✓"),
                Outcome::Fail => ("fail", "✗"),
                Outcome::Unknown => ("unknown", "?"),
            };
            ReasonLine { outcome, icon, text: x.text.clone(), depth: x.depth.min(4), settled: x.settled }
        })
        .collect();
    let caveats = r
        .notes
        .iter()
        .filter(|n| matches!(n.kind, NoteKind::Unverified | NoteKind::AmountUnknown | NoteKind::Implements))
        .map(|n| n.text.clone())
        .collect();
    let notes = r.notes.iter().filter(|n| n.kind == NoteKind::Policy).map(|n| n.text.clone()).collect();
    let (window_state, window_text) = window_text(r.application.opens, r.application.closes, r.application.state);
    Card {
        slug: r.policy.clone(),
        title: r.title.clone(),
        status: r.status.as_str(),
        status_label: r.status.label(),
        level: r.level.label(),
        dimensions: dimensions(&r.dimensions),
        department: r.department.clone(),
        // A zero estimate is not shown as a headline amount; the benefit text says why.
        amount: r.benefit.as_ref().filter(|b| b.amount_wan > 0.0).map(|b| wan(b.amount_wan)).unwrap_or_default(),
        benefit_text: r.benefit.as_ref().map(|b| b.text.clone()).unwrap_or_default(),
        benefit_summary: policy.map(|p| p.meta.benefit_summary.clone()).unwrap_or_default(),
        reasons,
        gaps: r.gaps.iter().map(|g| g.text.clone()).collect(),
        questions,
        deadline: r.deadline.map(|d| d.to_string()).unwrap_or_default(),
        window: window_text,
        window_state,
        materials: policy.map(|p| p.meta.materials.clone()).unwrap_or_default(),
        channel: policy.and_then(|p| p.meta.channel.clone()).unwrap_or_default(),
        doc: policy.map(|p| doc(&p.meta)).unwrap_or_default(),
        sources: policy.map(|p| sources(&p.meta)).unwrap_or_default(),
        badges: policy.map(|p| badges(&p.meta)).unwrap_or_default(),
        caveats,
        notes,
    }
}

/// Counts of the four statuses, for summaries.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tally {
    pub eligible: usize,
    pub possible: usize,
    pub near_miss: usize,
    pub ineligible: usize,
}

impl Tally {
    /// Counts `statuses`.
    pub fn of(statuses: impl IntoIterator<Item = Status>) -> Tally {
        let mut t = Tally::default();
        for s in statuses {
            match s {
                Status::Eligible => t.eligible += 1,
                Status::Possible => t.possible += 1,
                Status::NearMiss => t.near_miss += 1,
                Status::Ineligible => t.ineligible += 1,
            }
        }
        t
    }
}

/// The total of the amounts of `results` with one of `statuses`, counting a local document that
/// implements another policy only when that policy is not counted itself.
pub(crate) fn total_wan(results: &[PolicyResult], statuses: &[Status]) -> f64 {
    let counted: Vec<&PolicyResult> = results.iter().filter(|r| statuses.contains(&r.status)).collect();
    counted
        .iter()
        .filter(|r| !r.implements.as_ref().is_some_and(|base| counted.iter().any(|o| &o.policy == base)))
        .filter_map(|r| r.benefit.as_ref().map(|b| b.amount_wan))
        .sum()
}

/// Unix milliseconds as China time, `2025-06-01 09:30`.
pub(crate) fn china_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000) + 8 * 3600;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let date = zhengce_model::Date::from_days_since_epoch(days).map_or_else(|| "?".into(), |d| d.to_string());
    format!("{date} {:02}:{:02}", rem / 3600, rem % 3600 / 60)
}

/// The Chinese label of a size class value.
pub(crate) fn size_label(v: &str) -> &'static str {
    match v {
        "large" => "大型",
        "medium" => "中型",
        "small" => "小型",
        "micro" => "微型",
        _ => "未知",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_time_is_utc_plus_8() {
        assert_eq!(china_time(1_748_736_000_000), "2025-06-01 08:00");
        assert_eq!(china_time(0), "1970-01-01 08:00");
    }
}

//! Search options, results, filters, facet counts and ranking.
//!
//! tantivy scores every matching policy (the corpus is small, so all matches are collected); the
//! rest happens here: the caller's "within" restriction, facet counts, filters, then ordering:
//! strong matches (≥ [`STRONG_FRACTION`] of the best score) before weak ones, and within each group
//! policies in force on `as_of` before expired or not-yet-effective ones, and a record in force
//! above the one it renews.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use zhengce_model::Date;
use zhengce_model::policy::{Dimension, Kind, Level, Marking};

use crate::index::DocInfo;
use crate::query::Expansion;
use crate::snippet::DEFAULT_SNIPPET_CHARS;

/// Restricts a search to a set of policies, each with an optional caller annotation (for
/// example the match status `eligible` for "search within what I qualify for").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Within {
    /// slug → annotation copied into [`Hit::annotation`].
    pub allowed: BTreeMap<String, Option<String>>,
}

impl Within {
    /// From (slug, annotation) pairs.
    pub fn from_pairs<I, S>(pairs: I) -> Within
    where
        I: IntoIterator<Item = (S, Option<String>)>,
        S: Into<String>,
    {
        Within { allowed: pairs.into_iter().map(|(s, a)| (s.into(), a)).collect() }
    }
}

/// What to search for besides the words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchOptions {
    /// The date in-force status is judged on (the crate never reads the clock).
    pub as_of: Date,
    /// Maximum hits returned.
    pub limit: usize,
    /// Hits skipped (paging).
    pub offset: usize,
    /// Keep only these levels (empty: all).
    pub levels: Vec<Level>,
    /// Keep only policies with at least one of these dimensions (empty: all).
    pub dimensions: Vec<Dimension>,
    /// Keep only these departments, exact names (empty: all).
    pub departments: Vec<String>,
    /// `Some(true)`: only policies in force; `Some(false)`: only the others; `None`: both.
    pub in_force: Option<bool>,
    /// Restrict to these policies and annotate the hits.
    pub within: Option<Within>,
    /// Whether to compute snippets.
    pub snippets: bool,
    /// Snippet length in characters.
    pub snippet_chars: usize,
}

impl SearchOptions {
    /// Defaults: 10 hits, snippets on, no filters.
    pub fn new(as_of: Date) -> SearchOptions {
        SearchOptions {
            as_of,
            limit: 10,
            offset: 0,
            levels: Vec::new(),
            dimensions: Vec::new(),
            departments: Vec::new(),
            in_force: None,
            within: None,
            snippets: true,
            snippet_chars: DEFAULT_SNIPPET_CHARS,
        }
    }
}

/// Whether a policy applies on the search date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    /// In force.
    Current,
    /// Past its end date.
    Expired,
    /// Starts later.
    NotYetEffective,
}

impl Validity {
    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Validity::Current => "现行有效",
            Validity::Expired => "已到期",
            Validity::NotYetEffective => "尚未生效",
        }
    }

    fn of(doc: &DocInfo, as_of: Date) -> Validity {
        if as_of < doc.effective_from {
            Validity::NotYetEffective
        } else if doc.in_force(as_of) {
            Validity::Current
        } else {
            Validity::Expired
        }
    }
}

/// One search hit. The first five fields are the `contracts.md` shape.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    /// Slug.
    pub policy: String,
    /// Short title.
    pub title: String,
    /// Level.
    pub level: Level,
    /// BM25 score, rounded to 3 decimals (0 when listing without words).
    pub score: f64,
    /// HTML snippet with `<em>` highlights (empty when snippets are off).
    pub snippet: String,
    /// In force on the search date.
    pub in_force: bool,
    /// Current, expired or not yet effective.
    pub validity: Validity,
    /// Chinese label of `validity`.
    pub validity_label: &'static str,
    /// Marking.
    pub marking: Marking,
    /// The badge to show (草案/待核实, 示例, 历史政策), if any.
    pub badge: Option<&'static str>,
    /// Benefit or information channel.
    pub kind: Kind,
    /// Dimensions.
    pub dimensions: Vec<Dimension>,
    /// County department.
    pub department: String,
    /// Last day in force.
    pub effective_to: Option<Date>,
    /// The caller's annotation from [`SearchOptions::within`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation: Option<String>,
}

/// One facet value and how many hits have it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    /// Stable value (as used in filters).
    pub value: String,
    /// Chinese label.
    pub label: String,
    /// Number of hits.
    pub count: usize,
}

/// Facet counts. Each facet counts the hits that pass every *other* filter, so a user can see
/// what choosing another value of the same facet would give.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// By level (all four listed).
    pub level: Vec<FacetCount>,
    /// By dimension (all five listed; a policy with two dimensions counts in both).
    pub dimension: Vec<FacetCount>,
    /// By department (only those present).
    pub department: Vec<FacetCount>,
    /// In force or not.
    pub in_force: Vec<FacetCount>,
}

/// The answer to a search.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchResults {
    /// The query as given.
    pub query: String,
    /// Hits, best first (in force before expired among comparably relevant hits).
    pub hits: Vec<Hit>,
    /// Hits after filters, before `offset`/`limit`.
    pub total: usize,
    /// Facet counts.
    pub facets: Facets,
    /// The terms searched for.
    pub terms: Vec<String>,
    /// Synonym rules that fired.
    pub expansions: Vec<Expansion>,
}

/// A hit scoring at least this fraction of the best score is a strong match. Among strong matches,
/// and among weak ones, policies in force come first; an expired policy therefore never outranks a
/// current one of comparable relevance, yet a query that names an expired policy (以工代训) still
/// finds it above current policies that share only a word with the query.
pub const STRONG_FRACTION: f32 = 0.5;

struct Candidate {
    ord: usize,
    score: f32,
    in_force: bool,
    pass_level: bool,
    pass_dim: bool,
    pass_dep: bool,
    pass_force: bool,
}

impl Candidate {
    fn passes(&self) -> bool {
        self.pass_level && self.pass_dim && self.pass_dep && self.pass_force
    }
}

/// Applies `within`, computes facets, filters and orders. Returns (ordered candidates as
/// (ord, score), facets).
pub(crate) fn rank(docs: &[DocInfo], scored: Vec<(usize, f32)>, opts: &SearchOptions) -> (Vec<(usize, f32)>, Facets) {
    let mut cands: Vec<Candidate> = scored
        .into_iter()
        .filter(|(ord, _)| docs.get(*ord).is_some())
        .filter(|(ord, _)| opts.within.as_ref().is_none_or(|w| w.allowed.contains_key(&docs[*ord].slug)))
        .map(|(ord, score)| {
            let d = &docs[ord];
            let in_force = d.in_force(opts.as_of);
            Candidate {
                ord,
                score,
                in_force,
                pass_level: opts.levels.is_empty() || opts.levels.contains(&d.level),
                pass_dim: opts.dimensions.is_empty() || d.dimensions.iter().any(|x| opts.dimensions.contains(x)),
                pass_dep: opts.departments.is_empty() || opts.departments.contains(&d.department),
                pass_force: opts.in_force.is_none_or(|f| f == in_force),
            }
        })
        .collect();
    let facets = facets(docs, &cands);
    cands.retain(Candidate::passes);
    let best = cands.iter().map(|c| c.score).fold(0.0_f32, f32::max);
    let strong = |c: &Candidate| c.score >= STRONG_FRACTION * best;
    cands.sort_by(|a, b| {
        strong(b).cmp(&strong(a)).then(b.in_force.cmp(&a.in_force)).then(b.score.total_cmp(&a.score)).then(a.ord.cmp(&b.ord))
    });
    successors_first(docs, &mut cands);
    (cands.into_iter().map(|c| (c.ord, c.score)).collect(), facets)
}

/// A record in force that renews an earlier one (`supersedes`) moves right above it when the earlier
/// one ranks higher: the same words find the 2025 notice and its 2026 renewal, and the one that
/// applies now comes first, whatever their scores.
fn successors_first(docs: &[DocInfo], cands: &mut Vec<Candidate>) {
    for i in 0..cands.len() {
        let c = &cands[i];
        let Some(old) = docs[c.ord].supersedes.as_deref().filter(|_| c.in_force) else { continue };
        if let Some(j) = cands[..i].iter().position(|x| docs[x.ord].slug == old) {
            let moved = cands.remove(i);
            cands.insert(j, moved);
        }
    }
}

fn facets(docs: &[DocInfo], cands: &[Candidate]) -> Facets {
    let mut level: HashMap<Level, usize> = HashMap::new();
    let mut dim: HashMap<Dimension, usize> = HashMap::new();
    let mut dep: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut current, mut other) = (0, 0);
    for c in cands {
        let d = &docs[c.ord];
        if c.pass_dim && c.pass_dep && c.pass_force {
            *level.entry(d.level).or_default() += 1;
        }
        if c.pass_level && c.pass_dep && c.pass_force {
            let distinct: HashSet<&Dimension> = d.dimensions.iter().collect();
            for x in distinct {
                *dim.entry(*x).or_default() += 1;
            }
        }
        if c.pass_level && c.pass_dim && c.pass_force {
            *dep.entry(d.department.as_str()).or_default() += 1;
        }
        if c.pass_level && c.pass_dim && c.pass_dep {
            if c.in_force { current += 1 } else { other += 1 }
        }
    }
    let fc = |value: &str, label: &str, count: usize| FacetCount { value: value.into(), label: label.into(), count };
    let mut department: Vec<FacetCount> = dep.into_iter().map(|(d, n)| fc(d, d, n)).collect();
    department.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    Facets {
        level: Level::ALL.iter().map(|l| fc(l.as_str(), l.label(), level.get(l).copied().unwrap_or(0))).collect(),
        dimension: Dimension::ALL.iter().map(|x| fc(x.as_str(), x.label(), dim.get(x).copied().unwrap_or(0))).collect(),
        department,
        in_force: vec![fc("true", "现行有效", current), fc("false", "已到期或未生效", other)],
    }
}

/// Builds the hit for `docs[ord]`.
pub(crate) fn hit(doc: &DocInfo, score: f32, snippet: String, opts: &SearchOptions) -> Hit {
    let validity = Validity::of(doc, opts.as_of);
    Hit {
        policy: doc.slug.clone(),
        title: doc.title.clone(),
        level: doc.level,
        score: (f64::from(score) * 1000.0).round() / 1000.0,
        snippet,
        in_force: validity == Validity::Current,
        validity,
        validity_label: validity.label(),
        marking: doc.marking,
        badge: doc.marking.badge(),
        kind: doc.kind,
        dimensions: doc.dimensions.clone(),
        department: doc.department.clone(),
        effective_to: doc.effective_to,
        annotation: opts.within.as_ref().and_then(|w| w.allowed.get(&doc.slug).cloned().flatten()),
    }
}

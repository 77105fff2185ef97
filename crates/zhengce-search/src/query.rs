//! From user input to a tantivy query, without tantivy's query-syntax parser.
//!
//! The input is treated as plain text: `(`, `^`, `-`, `*`, quotes, `AND` and emoji mean nothing
//! special. It is cut to [`MAX_QUERY_CHARS`] characters, normalised, segmented by the
//! [`Analyzer`], expanded with the synonym rules, and turned into a `BooleanQuery` of `Should`
//! `TermQuery`s over the searchable fields with per-field boosts (best field per term). BM25 sums the clauses, so
//! documents matching more (and rarer) terms rank first.

use std::collections::BTreeMap;

use serde::Serialize;
use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use crate::analyzer::{Analyzer, Tok};
use crate::config::SynonymRule;
use crate::index::Fields;
use crate::normalize::normalize;

/// Longer input is cut to this many characters before analysis.
pub const MAX_QUERY_CHARS: usize = 256;
/// At most this many distinct terms go into one query.
pub const MAX_QUERY_TERMS: usize = 48;

/// How much the fields other than a term's best field add to its score.
pub const FIELD_TIE_BREAKER: f32 = 0.3;

/// Weight of a term that came from a synonym rule rather than from the user's words.
const SYNONYM_WEIGHT: f32 = 1.0;
/// Weight of a piece of a synonym's policy term (一次性 from 一次性扩岗补助): the user typed neither.
const SYNONYM_PART_WEIGHT: f32 = 0.25;
/// Weight of a single-character term (usually a fallback for an unknown word).
const SINGLE_CHAR_WEIGHT: f32 = 0.4;
/// Weight of a term that is part of a longer query term (稳岗 inside 稳岗返还): the whole term should
/// count more than its pieces.
const PART_WEIGHT: f32 = 0.5;

/// Whether `tokens[i]` lies inside a longer token (a search-mode gram or a domain sub-word).
fn is_part(tokens: &[Tok], i: usize) -> bool {
    let t = &tokens[i];
    tokens.iter().any(|o| o.from <= t.from && t.to <= o.to && (o.to - o.from) > (t.to - t.from))
}

/// Whether the byte range `from..to` of the query lies inside a longer domain-dictionary term, so a
/// colloquial rule for 担保 does not fire inside 创业担保贷款.
fn inside_longer_term(analyzer: &Analyzer, tokens: &[Tok], from: usize, to: usize) -> bool {
    tokens.iter().any(|o| o.from <= from && to <= o.to && (o.to - o.from) > (to - from) && analyzer.is_domain_word(&o.text))
}

/// A synonym rule that fired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expansion {
    /// The colloquial phrase found in the query.
    pub from: String,
    /// The policy terms added.
    pub to: Vec<String>,
}

/// The analysed query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryPlan {
    /// The input after truncation and normalisation.
    pub normalized: String,
    /// Whether the input was blank (then every policy is listed).
    pub blank: bool,
    /// Distinct terms with their weights, in first-seen order.
    pub terms: Vec<(String, f32)>,
    /// Synonym rules that fired.
    pub expansions: Vec<Expansion>,
}

impl QueryPlan {
    /// Analyses `input`.
    pub fn new(analyzer: &Analyzer, synonyms: &[SynonymRule], input: &str) -> QueryPlan {
        let cut: String = input.chars().take(MAX_QUERY_CHARS).collect();
        let normalized = normalize(&cut);
        let blank = normalized.trim().is_empty();
        let mut weights: BTreeMap<String, f32> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut add = |term: &str, w: f32| {
            let w = if term.chars().count() == 1 { w * SINGLE_CHAR_WEIGHT } else { w };
            match weights.get_mut(term) {
                Some(old) => *old = old.max(w),
                None => {
                    weights.insert(term.to_string(), w);
                    order.push(term.to_string());
                }
            }
        };
        // `normalize` is idempotent, so token offsets are offsets into `normalized`.
        let tokens = analyzer.tokens(&normalized);
        for (i, t) in tokens.iter().enumerate() {
            add(&t.text, if is_part(&tokens, i) { PART_WEIGHT } else { 1.0 });
        }
        let mut expansions = Vec::new();
        for rule in synonyms {
            let hit = rule.from.iter().find(|f| {
                normalized.match_indices(f.as_str()).any(|(at, m)| !inside_longer_term(analyzer, &tokens, at, at + m.len()))
            });
            let Some(hit) = hit else { continue };
            for canonical in &rule.to {
                let ctoks = analyzer.tokens(canonical);
                for (i, t) in ctoks.iter().enumerate() {
                    add(&t.text, if is_part(&ctoks, i) { SYNONYM_PART_WEIGHT } else { SYNONYM_WEIGHT });
                }
            }
            expansions.push(Expansion { from: hit.clone(), to: rule.to.clone() });
        }
        order.truncate(MAX_QUERY_TERMS);
        let terms = order.into_iter().map(|t| {
            let w = weights.get(&t).copied().unwrap_or(1.0);
            (t, w)
        });
        QueryPlan { normalized, blank, terms: terms.collect(), expansions }
    }

    /// Whether there is nothing to search for (blank input, or input without searchable words).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The tantivy query: for each term, a `DisjunctionMaxQuery` of boosted per-field `TermQuery`s
    /// (the best field counts fully, the others by [`FIELD_TIE_BREAKER`]), all terms `Should`.
    /// Taking the best field keeps a common word found in every field of a long policy from
    /// outweighing a rarer, exact term found in one field. `present(field, term)` says whether the
    /// term occurs in the field at all; absent pairs are left out, which halves query time.
    pub fn to_query(&self, fields: &Fields, present: impl Fn(Field, &str) -> bool) -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(self.terms.len());
        for (term, weight) in &self.terms {
            let per_field: Vec<Box<dyn Query>> = fields
                .searchable
                .iter()
                .filter(|&&(field, _)| present(field, term))
                .map(|&(field, boost)| {
                    let tq = TermQuery::new(Term::from_field_text(field, term), IndexRecordOption::WithFreqs);
                    Box::new(BoostQuery::new(Box::new(tq), boost * weight)) as Box<dyn Query>
                })
                .collect();
            if !per_field.is_empty() {
                let dismax = DisjunctionMaxQuery::with_tie_breaker(per_field, FIELD_TIE_BREAKER);
                clauses.push((Occur::Should, Box::new(dismax)));
            }
        }
        BooleanQuery::new(clauses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SearchConfig;

    #[test]
    fn synonyms_expand_and_syntax_is_plain_text() {
        let (cfg, _) = SearchConfig::parse("社保返还 => 稳岗返还\n", "稳岗返还 稳岗 返还\n");
        let a = Analyzer::new(&cfg);
        let plan = QueryPlan::new(&a, &cfg.synonyms, "社保返还");
        let terms: Vec<&str> = plan.terms.iter().map(|(t, _)| t.as_str()).collect();
        assert!(terms.contains(&"稳岗返还") && terms.contains(&"稳岗"), "{terms:?}");
        assert_eq!(plan.expansions.len(), 1);
        let plan = QueryPlan::new(&a, &cfg.synonyms, "(稳岗 AND 企业^ -\"*");
        let terms: Vec<&str> = plan.terms.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(terms, vec!["稳岗", "企业"]);
        assert!(QueryPlan::new(&a, &cfg.synonyms, "- * \"\"").is_empty());
        assert!(QueryPlan::new(&a, &cfg.synonyms, " \u{200B} ").blank);
    }
}

//! Chinese policy search: tantivy BM25 over jieba segmentation, built for how enterprises ask.
//!
//! The crate does no IO and never reads the clock. Callers pass parsed policies and the texts of
//! `policies/_search/synonyms.txt` and `policies/_search/dict.txt` (format in [`config`]); the
//! index lives in RAM.
//!
//! ```ignore
//! let (config, problems) = SearchConfig::parse(synonyms_txt, dict_txt);
//! let index = SearchIndex::build(&policies, config)?;
//! let results = index.search("招大学生有补贴吗", &SearchOptions::new(as_of))?;
//! ```
//!
//! - [`normalize`]: NFKC, zero-width/bidi removal, lowercase, traditional → simplified ([`tradsimp`]).
//! - [`analyzer`]: jieba search mode over one shared `Arc<Jieba>`, domain words with sub-words.
//! - [`query`]: user input → `BooleanQuery` of `TermQuery`s (never tantivy's query syntax), synonyms.
//! - [`index`]: schema, boosts, indexing.
//! - [`search`]: options, filters, facets, ranking (expired policies below current ones).
//! - [`snippet`]: `<em>` snippets from text segmented once at index time.
//!
//! User input never causes an error: [`SearchIndex::search`] fails only on internal tantivy errors.

pub mod analyzer;
pub mod config;
pub mod index;
pub mod normalize;
pub mod query;
pub mod search;
pub mod snippet;
pub mod tradsimp;

use std::collections::HashSet;

use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::{Index, IndexReader, Term};
use zhengce_model::policy::Policy;

pub use analyzer::Analyzer;
pub use config::{ConfigError, ConfigFile, SearchConfig};
pub use query::{Expansion, QueryPlan};
pub use search::{FacetCount, Facets, Hit, SearchOptions, SearchResults, Validity, Within};

use index::{DocInfo, Fields, ORD_FIELD};

/// An internal failure of the search engine (never caused by query text).
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy failed.
    #[error("搜索索引出错: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// The search index over a set of policies. `Send + Sync`: share one behind an `Arc` and rebuild it
/// (reusing the [`Analyzer`]) when the corpus changes.
pub struct SearchIndex {
    analyzer: Analyzer,
    config: SearchConfig,
    // Kept so the reader's index (and its tokenizer registry) stays alive with the struct.
    _index: Index,
    reader: IndexReader,
    fields: Fields,
    docs: Vec<DocInfo>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("policies", &self.docs.len()).finish()
    }
}

impl SearchIndex {
    /// Builds the analyzer (loads jieba, ~0.2 s) and indexes `policies`.
    pub fn build(policies: &[Policy], config: SearchConfig) -> Result<SearchIndex, SearchError> {
        let analyzer = Analyzer::new(&config);
        SearchIndex::build_with(policies, config, analyzer)
    }

    /// Indexes `policies` with an existing analyzer (reuse it when only the policies changed;
    /// `config`'s synonyms are used, its dictionary must be the one `analyzer` was built from).
    pub fn build_with(policies: &[Policy], config: SearchConfig, analyzer: Analyzer) -> Result<SearchIndex, SearchError> {
        let (index, reader, fields, docs) = index::build(policies, &analyzer)?;
        Ok(SearchIndex { analyzer, config, _index: index, reader, fields, docs })
    }

    /// The analyzer (to share with a rebuilt index).
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// Number of indexed policies.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether no policy is indexed.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Searches. Any text is accepted: blank input lists every policy (filters still apply);
    /// input without searchable words finds nothing.
    pub fn search(&self, input: &str, opts: &SearchOptions) -> Result<SearchResults, SearchError> {
        let plan = QueryPlan::new(&self.analyzer, &self.config.synonyms, input);
        let scored = if plan.blank {
            (0..self.docs.len()).map(|i| (i, 0.0)).collect()
        } else if plan.is_empty() {
            Vec::new()
        } else {
            self.score(&plan)?
        };
        let scored = self.boost_document_numbers(&plan, scored);
        let (ranked, facets) = search::rank(&self.docs, scored, opts);
        let total = ranked.len();
        // Single characters are highlighted only when the query has nothing longer: 能 or 补 lit up
        // all over a snippet is noise.
        let long: HashSet<&str> = plan.terms.iter().map(|(t, _)| t.as_str()).filter(|t| t.chars().count() > 1).collect();
        let terms = if long.is_empty() { plan.terms.iter().map(|(t, _)| t.as_str()).collect() } else { long };
        let hits = ranked
            .into_iter()
            .skip(opts.offset)
            .take(opts.limit)
            .map(|(ord, score)| {
                let doc = &self.docs[ord];
                let snippet = if opts.snippets { doc.snippet.render(&terms, opts.snippet_chars) } else { String::new() };
                search::hit(doc, score, snippet, opts)
            })
            .collect();
        Ok(SearchResults {
            query: input.to_string(),
            hits,
            total,
            facets,
            terms: plan.terms.iter().map(|(t, _)| t.clone()).collect(),
            expansions: plan.expansions,
        })
    }

    /// Puts policies whose document number (文号) appears in the query above every other hit.
    fn boost_document_numbers(&self, plan: &QueryPlan, mut scored: Vec<(usize, f32)>) -> Vec<(usize, f32)> {
        if plan.blank {
            return scored;
        }
        let key = index::doc_number_key(&plan.normalized);
        let best = scored.iter().map(|s| s.1).fold(0.0_f32, f32::max);
        for (ord, doc) in self.docs.iter().enumerate() {
            if doc.doc_key.as_ref().is_some_and(|k| key.contains(k.as_str())) {
                match scored.iter_mut().find(|s| s.0 == ord) {
                    Some(s) => s.1 += best + 1.0,
                    None => scored.push((ord, best + 1.0)),
                }
            }
        }
        scored
    }

    /// BM25 scores of every policy matching the plan, as (position in `docs`, score).
    fn score(&self, plan: &QueryPlan) -> Result<Vec<(usize, f32)>, SearchError> {
        let searcher = self.reader.searcher();
        let present = |field, term: &str| searcher.doc_freq(&Term::from_field_text(field, term)).is_ok_and(|n| n > 0);
        let query = plan.to_query(&self.fields, present);
        let top = searcher.search(&query, &TopDocs::with_limit(self.docs.len().max(1)).order_by_score())?;
        let mut columns: Vec<Option<Column<u64>>> = vec![None; searcher.segment_readers().len()];
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let seg = addr.segment_ord as usize;
            if columns[seg].is_none() {
                columns[seg] = Some(searcher.segment_reader(addr.segment_ord).fast_fields().u64(ORD_FIELD)?);
            }
            if let Some(ord) = columns[seg].as_ref().and_then(|c| c.first(addr.doc_id)) {
                out.push((ord as usize, score));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SearchIndex>();
        assert_send_sync::<Analyzer>();
    }
}

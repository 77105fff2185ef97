//! The in-RAM tantivy index over parsed policies, and the per-policy data kept beside it.
//!
//! Searchable fields and their BM25 boosts: title ×4, tags ×3, summary ×1.5, department ×1,
//! document title/number/issuers ×1, body ×1. Text fields keep frequencies but no positions
//! (no phrase queries are ever built). A `u64` fast field `ord` maps a hit back to its
//! [`DocInfo`]; nothing is stored in tantivy's doc store.

use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument};
use zhengce_model::Date;
use zhengce_model::policy::{Dimension, Kind, Level, Marking, Policy};

use crate::SearchError;
use crate::analyzer::Analyzer;
use crate::snippet::SnippetSource;

/// Name the tokenizer is registered under.
pub const TOKENIZER: &str = "zh_policy";

/// Field handles and their boosts.
#[derive(Clone, Debug)]
pub struct Fields {
    /// (field, boost) for every searchable field.
    pub searchable: Vec<(Field, f32)>,
    title: Field,
    tags: Field,
    summary: Field,
    department: Field,
    doc: Field,
    body: Field,
    /// The `u64` fast field with the position in [`crate::SearchIndex`]'s doc list.
    pub ord: Field,
}

/// Name of the `ord` fast field.
pub const ORD_FIELD: &str = "ord";

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(TOKENIZER).set_index_option(IndexRecordOption::WithFreqs),
    );
    let title = b.add_text_field("title", text.clone());
    let tags = b.add_text_field("tags", text.clone());
    let summary = b.add_text_field("summary", text.clone());
    let department = b.add_text_field("department", text.clone());
    let doc = b.add_text_field("doc", text.clone());
    let body = b.add_text_field("body", text);
    let ord = b.add_u64_field(ORD_FIELD, FAST);
    let searchable = vec![(title, 4.0), (tags, 3.0), (summary, 1.5), (department, 1.0), (doc, 1.0), (body, 1.0)];
    (b.build(), Fields { searchable, title, tags, summary, department, doc, body, ord })
}

/// What a hit needs from its policy, kept in memory beside the index.
#[derive(Clone, Debug)]
pub struct DocInfo {
    /// Slug.
    pub slug: String,
    /// Short title.
    pub title: String,
    /// Level.
    pub level: Level,
    /// Dimensions.
    pub dimensions: Vec<Dimension>,
    /// County department.
    pub department: String,
    /// Marking.
    pub marking: Marking,
    /// Benefit or channel.
    pub kind: Kind,
    /// First day in force.
    pub effective_from: Date,
    /// Last day in force.
    pub effective_to: Option<Date>,
    /// [`doc_number_key`] of the document number (文号), if any.
    pub doc_key: Option<String>,
    /// The slug of the earlier record this one renews (`supersedes`).
    pub supersedes: Option<String>,
    /// Text and pre-segmented tokens for snippets.
    pub snippet: SnippetSource,
}

impl DocInfo {
    /// Whether the policy is in force on `as_of` (same rule as [`Policy::in_force`]).
    pub fn in_force(&self, as_of: Date) -> bool {
        self.effective_from <= as_of && self.effective_to.is_none_or(|to| as_of <= to)
    }
}

/// A document number (文号) in a comparable form: normalised, without spaces, every kind of bracket
/// (〔〕【】［］（）) as `(` `)`. A query containing a policy's key ranks that policy first.
pub fn doc_number_key(s: &str) -> String {
    crate::normalize::normalize(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '〔' | '【' | '[' | '〖' | '（' | '(' | '{' => '(',
            '〕' | '】' | ']' | '〗' | '）' | ')' | '}' => ')',
            c => c,
        })
        .collect()
}

/// Markdown body → plain text for indexing and snippets: headings dropped (every policy has the
/// same ones), list markers, emphasis, code ticks, table pipes and link targets removed.
pub fn plain_body(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let mut l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.chars().all(|c| matches!(c, '-' | '|' | ':' | ' ' | '=' | '*')) {
            continue;
        }
        for marker in ["- ", "* ", "+ ", "> "] {
            if let Some(rest) = l.strip_prefix(marker) {
                l = rest.trim_start();
            }
        }
        let digits = l.chars().take_while(char::is_ascii_digit).count();
        if digits > 0
            && let Some(rest) = l[digits..].strip_prefix(". ").or_else(|| l[digits..].strip_prefix("、"))
        {
            l = rest;
        }
        let mut rest = l;
        while !rest.is_empty() {
            // Links: keep the text, drop the target.
            if let Some(i) = rest.find("](") {
                let (head, tail) = rest.split_at(i);
                push_clean(&head.replace('[', ""), &mut out);
                rest = tail.find(')').map_or("", |j| &tail[j + 1..]);
            } else {
                push_clean(rest, &mut out);
                rest = "";
            }
        }
        out.push('\n');
    }
    out
}

fn push_clean(s: &str, out: &mut String) {
    for c in s.chars() {
        if !matches!(c, '*' | '`' | '|' | '_') {
            out.push(c);
        }
    }
}

/// Builds the schema, registers the tokenizer, indexes `policies` and opens a manual-reload reader.
pub fn build(policies: &[Policy], analyzer: &Analyzer) -> Result<(Index, IndexReader, Fields, Vec<DocInfo>), SearchError> {
    let (schema, fields) = schema();
    let index = Index::create_in_ram(schema);
    index.tokenizers().register(TOKENIZER, TextAnalyzer::builder(analyzer.tokenizer()).build());
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, 20_000_000)?;
    let mut docs = Vec::with_capacity(policies.len());
    for (ord, p) in policies.iter().enumerate() {
        let m = &p.meta;
        let body = plain_body(&p.body);
        let mut doc = TantivyDocument::default();
        doc.add_text(fields.title, &m.title);
        for tag in &m.tags {
            doc.add_text(fields.tags, tag);
        }
        doc.add_text(fields.summary, &m.benefit_summary);
        doc.add_text(fields.department, &m.department);
        for s in m.doc_title.iter().chain(m.doc_number.iter()).chain(m.issuers.iter()) {
            doc.add_text(fields.doc, s);
        }
        doc.add_text(fields.body, &body);
        for s in m.materials.iter().chain(m.channel.iter()).chain(m.notes.iter()) {
            doc.add_text(fields.body, s);
        }
        doc.add_u64(fields.ord, ord as u64);
        writer.add_document(doc)?;
        docs.push(DocInfo {
            slug: m.slug.clone(),
            title: m.title.clone(),
            level: m.level,
            dimensions: m.dimensions.clone(),
            department: m.department.clone(),
            marking: m.marking,
            kind: m.kind,
            effective_from: m.effective_from,
            effective_to: m.effective_to,
            doc_key: m.doc_number.as_deref().map(doc_number_key).filter(|k| k.chars().count() >= 4),
            supersedes: m.supersedes.clone(),
            snippet: SnippetSource::new(analyzer, &m.benefit_summary, &body),
        });
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
    reader.reload()?;
    Ok((index, reader, fields, docs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_flattened() {
        let md = "## 政策要点\n\n- **足额**缴纳失业保险费；\n1. 见[通知](https://x.cn/a)。\n| a | b |\n|---|---|\n";
        let p = plain_body(md);
        assert_eq!(p, "足额缴纳失业保险费；\n见通知。\n a  b \n");
    }
}

//! Snippets with `<em>` highlights, from text segmented once at index time.
//!
//! Re-segmenting each hit's text per query is the known slow part of tantivy snippets
//! (performance guide §1.3.5). Here every policy's snippet text (benefit summary, then the plain
//! body) is segmented when the index is built and its tokens are kept; a snippet is then a scan
//! for the query's terms, a window choice and HTML escaping, with no jieba call.

use std::collections::HashSet;

use crate::analyzer::Analyzer;

/// Default snippet length in characters.
pub const DEFAULT_SNIPPET_CHARS: usize = 80;
/// Characters of context kept before the first highlighted term.
const LEAD_CHARS: usize = 12;

/// The snippet text of one policy and its tokens.
#[derive(Clone, Debug)]
pub struct SnippetSource {
    text: String,
    /// (from, to, term) in byte offsets of `text`.
    tokens: Vec<(u32, u32, Box<str>)>,
    summary_end: usize,
}

fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Byte offset `n` characters after `from` (or the end).
fn advance_chars(text: &str, from: usize, n: usize) -> usize {
    text[from..].char_indices().nth(n).map_or(text.len(), |(i, _)| from + i)
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '；' | '！' | '？' | '\n' | ';' | '!' | '?')
}

impl SnippetSource {
    /// Segments the summary and the plain body once.
    pub fn new(analyzer: &Analyzer, summary: &str, body: &str) -> SnippetSource {
        let mut text = String::with_capacity(summary.len() + body.len() + 1);
        text.push_str(summary.trim());
        let summary_end = text.len();
        text.push('\n');
        text.push_str(body.trim());
        let tokens = analyzer.tokens(&text).into_iter().map(|t| (t.from as u32, t.to as u32, t.text.into_boxed_str())).collect();
        SnippetSource { text, tokens, summary_end }
    }

    /// The best window of about `max_chars` characters for `terms`, HTML-escaped, with matched
    /// terms wrapped in `<em>…</em>`. Without a match, the start of the benefit summary.
    pub fn render(&self, terms: &HashSet<&str>, max_chars: usize) -> String {
        let max_chars = max_chars.max(8);
        let mut matches: Vec<(usize, usize, &str)> = self
            .tokens
            .iter()
            .filter(|(_, _, t)| terms.contains(&**t))
            .map(|&(f, t, ref s)| (f as usize, t as usize, &**s))
            .collect();
        // Search-mode segmentation emits a word's sub-words after the word, so tokens are not in
        // text order; the window scan below needs them by position (else `end - start` underflows).
        matches.sort_unstable_by_key(|m| (m.0, m.1));
        let text = self.text.as_str();
        let Some(first) = self.best_window(&matches, max_chars) else {
            let end = advance_chars(text, 0, max_chars).min(self.summary_end);
            let mut out = String::new();
            escape_into(&text[..end], &mut out);
            if end < self.summary_end {
                out.push('…');
            }
            return out;
        };
        // Start a little before the first match, but not before the sentence it is in.
        let mut start = matches[first].0;
        for (n, (i, c)) in text[..start].char_indices().rev().enumerate() {
            if n >= LEAD_CHARS || is_sentence_end(c) {
                break;
            }
            start = i;
        }
        let end = advance_chars(text, start, max_chars);
        let mut ranges: Vec<(usize, usize)> = matches.iter().filter(|m| m.0 >= start && m.1 <= end).map(|m| (m.0, m.1)).collect();
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.0 <= last.1 => last.1 = last.1.max(r.1),
                _ => merged.push(r),
            }
        }
        let mut out = String::with_capacity((end - start) + 16 * merged.len() + 8);
        if start > 0 && !text[..start].ends_with('\n') {
            out.push('…');
        }
        let mut at = start;
        for (f, t) in merged {
            escape_into(&text[at..f], &mut out);
            out.push_str("<em>");
            escape_into(&text[f..t], &mut out);
            out.push_str("</em>");
            at = t;
        }
        escape_into(&text[at..end], &mut out);
        if end < text.len() {
            out.push('…');
        }
        out
    }

    /// Index into `matches` of the first match of the window covering the most distinct term
    /// characters (ties: earliest window, so the summary wins).
    fn best_window(&self, matches: &[(usize, usize, &str)], max_chars: usize) -> Option<usize> {
        let budget = max_chars.saturating_sub(LEAD_CHARS) * 3;
        let mut best: Option<(usize, usize)> = None;
        let mut seen: HashSet<&str> = HashSet::new();
        for i in 0..matches.len() {
            seen.clear();
            let mut score = 0;
            for m in &matches[i..] {
                if m.1 - matches[i].0 > budget {
                    break;
                }
                if seen.insert(m.2) {
                    score += m.2.chars().count();
                }
            }
            if best.is_none_or(|(_, s)| score > s) {
                best = Some((i, score));
            }
        }
        best.map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SearchConfig;

    fn source(summary: &str, body: &str) -> SnippetSource {
        let (cfg, _) = SearchConfig::parse("", "稳岗返还 稳岗 返还\n");
        SnippetSource::new(&Analyzer::new(&cfg), summary, body)
    }

    #[test]
    fn highlights_best_window_and_escapes() {
        let s = source("返还上年度失业保险费的60%", "企业<script>不裁员。可以申请稳岗返还，钱直接到账。");
        let terms: HashSet<&str> = ["稳岗", "稳岗返还", "返还", "裁员"].into_iter().collect();
        let html = s.render(&terms, 40);
        assert!(html.contains("<em>稳岗返还</em>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn no_match_falls_back_to_summary() {
        let s = source("中小微企业返还60%", "正文");
        let html = s.render(&HashSet::new(), 80);
        assert_eq!(html, "中小微企业返还60%");
        let long = source(&"很长的摘要".repeat(30), "正文");
        assert!(long.render(&HashSet::new(), 10).ends_with('…'));
    }
}

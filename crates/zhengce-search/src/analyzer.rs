//! Chinese analysis: normalisation, jieba search-mode segmentation with a domain dictionary, stop
//! words, and the tantivy [`Tokenizer`] over a shared `Arc<Jieba>`.
//!
//! Choices (see `shared/guides/performance.md` §1.3 and §2.3):
//! - The same analysis at index and query time: jieba `cut_for_search` with HMM **off**. HMM glues
//!   unknown characters into context-dependent words that a query rarely reproduces; without it an
//!   unknown word falls apart into single characters, which still match character by character.
//! - Domain terms (`dict.txt`) are added to jieba, and each one also emits its sub-words at the same
//!   place, so 稳岗 finds 稳岗返还 and 高新技术 finds 高新技术企业. Sub-words are added to jieba too, so a
//!   query that is only the sub-word segments to it.
//! - Positions are token ordinals. No phrase queries are built, so overlapping search-mode tokens
//!   are harmless.
//! - Cloning the tokenizer clones an `Arc`, never the dictionary.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::config::SearchConfig;
use crate::normalize::normalize_with_offsets;

/// Function words and question words that carry no meaning for policy search. Policy words such as
/// 不, 非, 未 are deliberately kept: they matter in eligibility text.
const STOP_WORDS: &str = "\
    的 了 和 与 及 或 等 是 在 也 都 就 把 被 对 从 向 之 其 吗 \
    呢 吧 啊 呀 么 嘛 哪 啥 我 你 他 她 它 这 那 着 过 个 又 还 \
    请问 我们 你们 他们 我家 咱们 什么 怎么 怎样 怎么样 如何 哪些 哪个 \
    哪里 有没有 是不是 能不能 可不可以 一下 这个 那个 这些 那些 还有 \
    或者 以及 如果 的话 一些 有关 相关 关于 有 能 可以 多少 想 要 会 \
    给 让 找 and or not";

/// One token: its normalised text and the byte range in the original text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tok {
    /// Normalised text (the index term).
    pub text: String,
    /// Start byte in the original text.
    pub from: usize,
    /// End byte in the original text.
    pub to: usize,
}

struct Inner {
    jieba: Jieba,
    subwords: HashMap<String, Vec<String>>,
    domain: HashSet<String>,
    stop: HashSet<&'static str>,
}

/// The shared analyzer: one jieba dictionary behind an `Arc`. Cheap to clone.
#[derive(Clone)]
pub struct Analyzer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").field("domain_terms", &self.inner.domain.len()).finish()
    }
}

fn is_searchable(word: &str) -> bool {
    word.chars().any(char::is_alphanumeric)
}

impl Analyzer {
    /// Loads jieba's default dictionary (150–250 ms) and adds the domain terms of `config`.
    pub fn new(config: &SearchConfig) -> Analyzer {
        let mut jieba = Jieba::new();
        // Derive sub-words with the general dictionary before any domain word changes it.
        let mut subwords: HashMap<String, Vec<String>> = HashMap::new();
        for entry in &config.dict {
            let subs: Vec<String> = if entry.subwords.is_empty() {
                jieba
                    .cut(&entry.word, true)
                    .into_iter()
                    .map(|t| t.word.to_string())
                    .filter(|w| w.chars().count() >= 2 && *w != entry.word && is_searchable(w))
                    .collect()
            } else {
                entry.subwords.clone()
            };
            subwords.entry(entry.word.clone()).or_default().extend(subs);
        }
        for (word, subs) in &mut subwords {
            subs.sort();
            subs.dedup();
            jieba.add_word(word, None, None);
        }
        for sub in subwords.values().flatten() {
            if !jieba.has_word(sub) {
                jieba.add_word(sub, None, None);
            }
        }
        let domain = subwords.keys().cloned().collect();
        subwords.retain(|_, subs| !subs.is_empty());
        let stop = STOP_WORDS.split_whitespace().collect();
        Analyzer { inner: Arc::new(Inner { jieba, subwords, domain, stop }) }
    }

    /// Segments `text` into index terms with their original byte ranges, in order.
    pub fn tokens(&self, text: &str) -> Vec<Tok> {
        let norm = normalize_with_offsets(text);
        let inner = &*self.inner;
        let mut out: Vec<Tok> = Vec::new();
        for t in inner.jieba.cut_for_search(&norm.text, false) {
            if !is_searchable(t.word) || inner.stop.contains(t.word) {
                continue;
            }
            let (from, to) = norm.original_range(t.byte_start, t.byte_end);
            let first_of_word = out.len();
            out.push(Tok { text: t.word.to_string(), from, to });
            let Some(subs) = inner.subwords.get(t.word) else { continue };
            for sub in subs {
                // Search mode may already have emitted this sub-word (a 2- or 3-gram of the term).
                let start = first_of_word.saturating_sub(24);
                if out[start..].iter().any(|o| o.text == *sub && o.from >= from && o.to <= to) {
                    continue;
                }
                let (sf, st) = match t.word.find(sub.as_str()) {
                    Some(i) => norm.original_range(t.byte_start + i, t.byte_start + i + sub.len()),
                    None => (from, to),
                };
                out.push(Tok { text: sub.clone(), from: sf, to: st });
            }
        }
        out
    }

    /// Whether `word` (normalised) is a term of the domain dictionary.
    pub fn is_domain_word(&self, word: &str) -> bool {
        self.inner.domain.contains(word)
    }

    /// The index terms of `text` (normalised strings only).
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.tokens(text).into_iter().map(|t| t.text).collect()
    }

    /// The tantivy tokenizer sharing this analyzer.
    pub fn tokenizer(&self) -> ZhTokenizer {
        ZhTokenizer { analyzer: self.clone() }
    }
}

/// tantivy tokenizer over the shared [`Analyzer`]. Cloning it clones an `Arc`.
#[derive(Clone)]
pub struct ZhTokenizer {
    analyzer: Analyzer,
}

/// The token stream of [`ZhTokenizer`]: tokens computed eagerly, then replayed.
pub struct ZhTokenStream {
    tokens: Vec<Token>,
    next: usize,
    empty: Token,
}

impl Tokenizer for ZhTokenizer {
    type TokenStream<'a> = ZhTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhTokenStream {
        let tokens = self
            .analyzer
            .tokens(text)
            .into_iter()
            .enumerate()
            .map(|(position, t)| Token { offset_from: t.from, offset_to: t.to, position, text: t.text, position_length: 1 })
            .collect();
        ZhTokenStream { tokens, next: 0, empty: Token::default() }
    }
}

impl TokenStream for ZhTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        self.next.checked_sub(1).and_then(|i| self.tokens.get(i)).unwrap_or(&self.empty)
    }

    fn token_mut(&mut self) -> &mut Token {
        match self.next.checked_sub(1) {
            Some(i) if i < self.tokens.len() => &mut self.tokens[i],
            _ => &mut self.empty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer() -> Analyzer {
        let (cfg, errs) = SearchConfig::parse("", "稳岗返还\n专精特新 专精 特新\n高新技术企业 高新技术\n一次性扩岗补助\n");
        assert!(errs.is_empty());
        Analyzer::new(&cfg)
    }

    #[test]
    fn domain_terms_keep_their_subwords() {
        let a = analyzer();
        let terms = a.terms("企业申请稳岗返还和专精特新认定，以及高新技术企业认定和一次性扩岗补助");
        for want in ["稳岗返还", "稳岗", "返还", "专精特新", "专精", "特新", "高新技术企业", "高新技术", "扩岗", "补助"]
        {
            assert!(terms.iter().any(|t| t == want), "missing {want} in {terms:?}");
        }
        assert!(!terms.iter().any(|t| t == "，" || t == "和"), "{terms:?}");
        assert_eq!(a.terms("稳岗"), vec!["稳岗"]);
    }

    #[test]
    fn offsets_point_into_original_text() {
        let a = analyzer();
        let src = "申请穩崗返還（ＡＢ）";
        for t in a.tokens(src) {
            assert!(src.is_char_boundary(t.from) && src.is_char_boundary(t.to) && t.from < t.to, "{t:?}");
        }
        let toks = a.tokens(src);
        let t = toks.iter().find(|t| t.text == "稳岗返还").map(|t| &src[t.from..t.to]);
        assert_eq!(t, Some("穩崗返還"));
        assert!(toks.iter().any(|t| t.text == "ab"));
    }

    #[test]
    fn tokenizer_clone_shares_the_dictionary() {
        let a = analyzer();
        let t1 = a.tokenizer();
        let t2 = t1.clone();
        assert!(Arc::ptr_eq(&t1.analyzer.inner, &t2.analyzer.inner));
        let mut t3 = t2.clone();
        let mut stream = t3.token_stream("稳岗返还");
        let mut n = 0;
        while stream.advance() {
            assert_eq!(stream.token().position, n);
            n += 1;
        }
        assert!(n >= 3);
    }
}

//! The search vocabulary kept as data: `policies/_search/dict.txt` and `policies/_search/synonyms.txt`.
//!
//! Both are plain UTF-8 text, one entry per line; `#` starts a comment line, blank lines are ignored.
//!
//! - `dict.txt`: `词语 [子词 子词 …]`. A domain term jieba must keep whole (稳岗返还, 专精特新), optionally
//!   followed by the sub-words a user may type on their own. When no sub-word is listed, the term is
//!   split with jieba's general dictionary and the pieces of two or more characters become its
//!   sub-words. Each sub-word is indexed at the term's position, so 稳岗 finds 稳岗返还.
//! - `synonyms.txt`: `口语说法 [口语说法 …] => 政策用语 [政策用语 …]`. When the (normalised) query contains
//!   any left-hand phrase as a substring, the right-hand terms are added to the query. The original
//!   words stay in the query, so a synonym only ever adds recall.
//!
//! Entries are normalised like queries (full-width, traditional characters, case), so officers can
//! write them either way. Parsing is lenient: a bad line is skipped and reported as a [`ConfigError`].

use std::fmt;

use crate::normalize::normalize;

/// Which data file a [`ConfigError`] is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigFile {
    /// `policies/_search/dict.txt`.
    Dict,
    /// `policies/_search/synonyms.txt`.
    Synonyms,
}

impl ConfigFile {
    /// The path inside the corpus.
    pub fn path(self) -> &'static str {
        match self {
            ConfigFile::Dict => "policies/_search/dict.txt",
            ConfigFile::Synonyms => "policies/_search/synonyms.txt",
        }
    }
}

/// A line of a search data file that could not be used (it is skipped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub file: ConfigFile,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.path(), self.line, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// One domain term of `dict.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DictEntry {
    /// The term, normalised.
    pub word: String,
    /// Explicit sub-words, normalised; empty means "derive them".
    pub subwords: Vec<String>,
}

/// One rule of `synonyms.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynonymRule {
    /// Colloquial phrases, normalised.
    pub from: Vec<String>,
    /// Canonical policy terms, normalised.
    pub to: Vec<String>,
}

/// The parsed search vocabulary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchConfig {
    /// Domain dictionary.
    pub dict: Vec<DictEntry>,
    /// Synonym rules.
    pub synonyms: Vec<SynonymRule>,
}

fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim().trim_start_matches('\u{FEFF}')))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
        .map(normalize)
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

impl SearchConfig {
    /// Parses `synonyms.txt` and `dict.txt`. Bad lines are skipped and returned as errors.
    pub fn parse(synonyms: &str, dict: &str) -> (SearchConfig, Vec<ConfigError>) {
        let mut cfg = SearchConfig::default();
        let mut errors = Vec::new();
        for (line, text) in content_lines(dict) {
            let mut ws = words(text);
            if ws.is_empty() {
                continue;
            }
            let word = ws.remove(0);
            if word.chars().count() < 2 {
                errors.push(ConfigError {
                    file: ConfigFile::Dict,
                    line,
                    message: format!("词语「{word}」太短：领域词至少两个字"),
                });
                continue;
            }
            if let Some(bad) = ws.iter().find(|s| !word.contains(s.as_str())) {
                errors.push(ConfigError {
                    file: ConfigFile::Dict, line, message: format!("子词「{bad}」不在词语「{word}」里")
                });
                continue;
            }
            cfg.dict.push(DictEntry { word, subwords: ws });
        }
        for (line, text) in content_lines(synonyms) {
            let Some((left, right)) = text.split_once("=>") else {
                errors.push(ConfigError {
                    file: ConfigFile::Synonyms,
                    line,
                    message: "缺少「=>」：格式为「口语说法 … => 政策用语 …」".into(),
                });
                continue;
            };
            let (from, to) = (words(left), words(right));
            if from.is_empty() || to.is_empty() {
                errors.push(ConfigError {
                    file: ConfigFile::Synonyms, line, message: "「=>」两边都要至少有一个词".into()
                });
                continue;
            }
            cfg.synonyms.push(SynonymRule { from, to });
        }
        (cfg, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_files_and_reports_bad_lines() {
        let syn = "# 注释\n社保返还 返社保 => 稳岗返还\n坏行\n => 空\n大學生，毕业生 => 高校毕业生 一次性扩岗补助\n";
        let dict = "稳岗返还 稳岗 返还\n专精特新\n稳\n技改专项贷 专项款\n";
        let (cfg, errs) = SearchConfig::parse(syn, dict);
        assert_eq!(cfg.synonyms.len(), 2);
        assert_eq!(cfg.synonyms[1].from, vec!["大学生", "毕业生"]);
        assert_eq!(cfg.synonyms[1].to, vec!["高校毕业生", "一次性扩岗补助"]);
        assert_eq!(cfg.dict.len(), 2);
        assert_eq!(cfg.dict[0].subwords, vec!["稳岗", "返还"]);
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert_eq!(errs[0].file, ConfigFile::Dict);
        assert_eq!(errs[0].line, 3);
        assert!(errs.iter().any(|e| e.file == ConfigFile::Synonyms && e.line == 3));
    }
}

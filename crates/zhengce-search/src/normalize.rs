//! Text normalisation shared by indexing and querying.
//!
//! Every character is mapped on its own: zero-width and bidi controls are dropped, traditional
//! characters common in policy vocabulary become simplified ([`crate::tradsimp`]), other
//! characters go through NFKC (full-width digits, letters and punctuation become ASCII) and are
//! lowercased. Mapping character by character keeps a map from each byte of the normalised text
//! back to the original text, so tokens found in the normalised text can be highlighted in the
//! original (snippets show what the author wrote, with its full-width punctuation).

use unicode_normalization::UnicodeNormalization as _;

/// Normalised text plus, for every byte of it, the byte range of the original character it came from.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// The normalised text.
    pub text: String,
    /// `origin[i]` = (start, end) byte offsets in the original text of the character that produced
    /// byte `i` of `text`.
    origin: Vec<(u32, u32)>,
}

impl Normalized {
    /// Maps a byte range of the normalised text back to a byte range of the original text.
    pub fn original_range(&self, from: usize, to: usize) -> (usize, usize) {
        if from >= to || to > self.origin.len() {
            return (0, 0);
        }
        (self.origin[from].0 as usize, self.origin[to - 1].1 as usize)
    }
}

/// Whether `c` is invisible formatting that must not split or join words (zero-width, bidi, BOM).
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{E0000}'..='\u{E007F}')
}

/// Appends the normalised form of one character to `out`.
pub fn push_normalized(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if is_invisible(c) {
    } else if let Some(s) = crate::tradsimp::simplify(c) {
        out.push(s);
    } else if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        // CJK unified ideographs are NFKC-stable and have no case.
        out.push(c);
    } else {
        for n in std::iter::once(c).nfkc() {
            // NFKC can produce a traditional form from a compatibility ideograph.
            let n = crate::tradsimp::simplify(n).unwrap_or(n);
            if is_invisible(n) {
                continue;
            }
            out.extend(n.to_lowercase());
        }
    }
}

/// Normalises `text`, keeping the map back to original offsets.
pub fn normalize_with_offsets(text: &str) -> Normalized {
    let mut out = Normalized { text: String::with_capacity(text.len()), origin: Vec::with_capacity(text.len()) };
    for (i, c) in text.char_indices() {
        push_normalized(c, &mut out.text);
        let span = (i as u32, (i + c.len_utf8()) as u32);
        out.origin.resize(out.text.len(), span);
    }
    out
}

/// Normalises `text` (no offset map).
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_normalized(c, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_zero_width_case_and_traditional() {
        assert_eq!(normalize("ＡＢＣ１２３"), "abc123");
        assert_eq!(normalize("稳\u{200B}岗\u{202E}返还\u{FEFF}"), "稳岗返还");
        assert_eq!(normalize("穩崗返還"), "稳岗返还");
        assert_eq!(normalize("專精特新"), "专精特新");
        assert_eq!(normalize("ＧＢ／Ｔ"), "gb/t");
    }

    #[test]
    fn offsets_map_back_to_original() {
        let src = "（穩崗\u{200B}返還）";
        let n = normalize_with_offsets(src);
        assert_eq!(n.text, "(稳岗返还)");
        let from = n.text.find("稳岗").unwrap_or(0);
        let (a, b) = n.original_range(from, from + "稳岗".len());
        assert_eq!(&src[a..b], "穩崗");
        let to = n.text.find(')').unwrap_or(0);
        let (a, b) = n.original_range(from, to);
        assert_eq!(&src[a..b], "穩崗\u{200B}返還");
    }
}

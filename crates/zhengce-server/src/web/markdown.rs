//! The policy bodies' small Markdown subset (`##` headings, paragraphs, `-` lists) as blocks the
//! template prints with escaping; emphasis markers are dropped, nothing is passed through as HTML.

/// One block of a policy body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    /// `h`, `p` or `ul`.
    pub kind: &'static str,
    /// The heading or paragraph text.
    pub text: String,
    /// List items.
    pub items: Vec<String>,
}

fn plain(s: &str) -> String {
    s.replace("**", "").replace('`', "").trim().to_string()
}

/// Splits a body into blocks.
pub(crate) fn blocks(body: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut Vec<Block>| {
        if !para.is_empty() {
            out.push(Block { kind: "p", text: plain(&para.join("")), items: Vec::new() });
            para.clear();
        }
    };
    for line in body.lines() {
        let t = line.trim();
        if t.is_empty() {
            flush(&mut para, &mut out);
        } else if let Some(h) = t.strip_prefix('#') {
            flush(&mut para, &mut out);
            out.push(Block { kind: "h", text: plain(h.trim_start_matches('#')), items: Vec::new() });
        } else if let Some(item) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            flush(&mut para, &mut out);
            match out.last_mut() {
                Some(b) if b.kind == "ul" => b.items.push(plain(item)),
                _ => out.push(Block { kind: "ul", text: String::new(), items: vec![plain(item)] }),
            }
        } else if line.starts_with("  ") && out.last().is_some_and(|b| b.kind == "ul") && para.is_empty() {
            if let Some(last) = out.last_mut().and_then(|b| b.items.last_mut()) {
                last.push_str(&plain(t));
            }
        } else {
            para.push(t);
        }
    }
    flush(&mut para, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_and_lists() {
        let b = blocks("## 要点\n\n第一行\n第二行\n\n- 甲\n- **乙**\n\n<script>x</script>");
        assert_eq!(b[0], Block { kind: "h", text: "要点".into(), items: vec![] });
        assert_eq!(b[1].text, "第一行第二行");
        assert_eq!(b[2].items, ["甲", "乙"]);
        assert_eq!(b[3].text, "<script>x</script>", "kept as text; the template escapes it");
    }
}

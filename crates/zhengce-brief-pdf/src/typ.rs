//! The typst source of a brief, generated from the model. Every piece of text enters as a typst
//! string literal (`#"…"`), so no enterprise name or policy text can be read as markup.

use std::fmt::Write as _;

use zhengce_brief::{Brief, EnterpriseBrief, Item, Mark, text};
use zhengce_model::verdict::Status;

/// A typst string literal.
fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Content holding `s` as plain text.
fn t(s: &str) -> String {
    format!("[#{}]", lit(s))
}

fn status_color(s: Status) -> &'static str {
    match s {
        Status::Eligible => "ok",
        Status::Possible => "maybe",
        Status::NearMiss => "near",
        Status::Ineligible => "muted",
    }
}

fn badges(marks: &[Mark]) -> String {
    marks.iter().map(|m| format!("#badge({})", lit(m.label()))).collect()
}

const PREAMBLE: &str = r##"
#let ok = rgb("#1a7f37")
#let maybe = rgb("#9a6700")
#let near = rgb("#0a5bd3")
#let warn = rgb("#b42318")
#let muted = rgb("#5b636e")
#let line-color = rgb("#d0d7de")
#let head-fill = rgb("#eef2f6")
#let heavy(s, fill: black, size: 9pt) = text(size: size, fill: fill, stroke: 0.022em + fill, s)
#let badge(s) = box(inset: (x: 2pt, y: 1pt), outset: (y: 1pt), stroke: 0.5pt + warn, radius: 1.5pt, text(size: 6.5pt, fill: warn, s))
#let small(s) = text(size: 7.5pt, fill: muted, s)
#let section-title(s) = block(above: 9pt, below: 5pt, heavy(size: 10.5pt, s))
#let datatable(columns: (), header: (), aligns: (), ..cells) = table(
  columns: columns,
  stroke: 0.4pt + line-color,
  inset: (x: 3.5pt, y: 3pt),
  align: (x, y) => if aligns.len() > x { aligns.at(x) } else { left },
  fill: (x, y) => if y == 0 { head-fill },
  table.header(..header.map(h => heavy(size: 8.5pt, h))),
  ..cells,
)
"##;

/// The typst source of `brief`, set in font family `family`.
pub fn source(brief: &Brief, family: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "#set document(title: {}, author: \"zhengce\")", lit(&brief.title));
    let _ = writeln!(
        out,
        "#set page(paper: \"a4\", margin: (x: 13mm, top: 14mm, bottom: 16mm), footer: context align(center, text(size: 7.5pt, fill: rgb(\"#5b636e\"))[#{} #h(1em) 第 #counter(page).display() 页，共 #counter(page).final().first() 页]))",
        lit(&brief.title)
    );
    let _ = writeln!(out, "#set text(font: ({},), size: 9pt, lang: \"zh\", region: \"cn\")", lit(family));
    out.push_str("#set par(leading: 0.55em, spacing: 0.7em)\n#set table(gutter: 0pt)\n");
    out.push_str(PREAMBLE);
    let _ = writeln!(out, "#block(below: 7pt, heavy(size: 16pt, {}))", lit(&brief.title));
    let _ = writeln!(out, "#block(below: 8pt, small({}))\n", lit(&text::subtitle(brief)));
    if brief.scope.is_group() {
        group(&mut out, brief);
    }
    for (n, e) in brief.enterprises.iter().enumerate() {
        if brief.scope.is_group() {
            out.push_str("#pagebreak(weak: true)\n");
        }
        enterprise(&mut out, n + 1, e, brief.scope.is_group());
    }
    if brief.enterprises.is_empty() {
        let _ = writeln!(out, "#text(fill: muted, {})\n", lit(&format!("没有找到属于该{}的企业。", brief.scope.kind_label())));
    }
    out.push_str("#section-title[说明]\n");
    for c in brief.caveats() {
        let _ = writeln!(out, "#small({})\\", lit(&format!("· {c}")));
    }
    out
}

fn group(out: &mut String, b: &Brief) {
    let tot = &b.totals;
    let _ = writeln!(
        out,
        "#block(width: 100%, inset: 7pt, fill: rgb(\"#f6f8fa\"), stroke: (left: 2.5pt + ok), {})\n",
        t(&format!("{}。", text::group_summary(b)))
    );
    let stat = |value: String, label: String, color: &str| {
        format!(
            "block(width: 100%, inset: 6pt, stroke: 0.5pt + line-color, radius: 3pt)[#heavy(size: 14pt, fill: {color}, {}) \\ #small({})]",
            lit(&value),
            lit(&label)
        )
    };
    let _ = writeln!(
        out,
        "#grid(columns: (1fr, 1fr, 1fr, 1fr), gutter: 6pt, {}, {}, {}, {})\n",
        stat(tot.enterprises.to_string(), "家企业".into(), "black"),
        stat(text::amount_or_dash(tot.eligible.amount_wan), format!("万元 · 符合 {} 项", tot.eligible.policies), "ok"),
        stat(
            format!("≥{}", text::num(tot.possible.amount_wan)),
            format!("万元 · 可能符合 {} 项", tot.possible.policies),
            "maybe"
        ),
        stat(tot.near_miss.policies.to_string(), "项差一点".into(), "near"),
    );
    out.push_str("#section-title[建议同行部门]\n");
    let chips: Vec<String> = tot
        .departments
        .iter()
        .map(|d| {
            format!(
                "box(inset: (x: 4pt, y: 2pt), stroke: 0.5pt + rgb(\"#9cc3f5\"), radius: 6pt, {})",
                t(&format!("{}：{} 家 / {} 项", d.name, d.enterprises, d.policies))
            )
        })
        .collect();
    if chips.is_empty() {
        out.push_str("无\n\n");
    } else {
        let _ = writeln!(out, "#{{ {} }}\n", chips.join(" + h(3pt) + "));
    }

    out.push_str("#section-title[企业一览]\n");
    out.push_str(
        "#datatable(columns: (auto, 1fr, auto, auto, auto, auto, auto, 1.1fr), aligns: (right, left, right, right, right, right, right, left),\n  header: ([序号], [企业], [符合], [金额（万元）], [可能符合], [差一点], [待问问题], [同行部门]),\n",
    );
    for (n, e) in b.enterprises.iter().enumerate() {
        let team: Vec<&str> = e.team.iter().map(|d| d.name.as_str()).collect();
        let _ = writeln!(
            out,
            "  {}, {}, {}, {}, {}, {}, {}, text(size: 7.5pt, {}),",
            t(&(n + 1).to_string()),
            t(&e.identity.name),
            t(&e.eligible.policies.to_string()),
            t(&text::amount_or_dash(e.eligible.amount_wan)),
            t(&e.possible.policies.to_string()),
            t(&e.near_miss.policies.to_string()),
            t(&(e.questions.len() + e.more_questions).to_string()),
            lit(&team.join("、")),
        );
    }
    out.push_str(")\n\n#section-title[涉及政策]\n");
    out.push_str(
        "#datatable(columns: (1fr, auto, auto, auto, auto, auto), aligns: (left, left, right, right, right, right),\n  header: ([政策], [部门], [符合], [可能符合], [差一点], [符合金额（万元）]),\n",
    );
    for p in &b.policies {
        let _ = writeln!(
            out,
            "  [#{}{}], {}, {}, {}, {}, {},",
            lit(&p.title),
            badges(&p.marks),
            t(&p.department),
            t(&p.eligible.to_string()),
            t(&p.possible.to_string()),
            t(&p.near_miss.to_string()),
            t(&text::amount_or_dash(p.eligible_wan)),
        );
    }
    out.push_str(")\n\n");
}

fn item_cells(it: &Item) -> String {
    let mut title = format!("#{}{}", lit(&it.title), badges(&it.marks));
    let _ = write!(title, " #small({})", lit(it.level.label()));
    if let Some(d) = &it.document {
        let _ = write!(title, "\\ #small({})", lit(d));
    }
    let mut detail = String::new();
    match it.status {
        Status::Possible if !it.detail.is_empty() => {
            let _ = write!(detail, "#{}", lit(&format!("待确认：{}", it.detail.join(" "))));
        }
        Status::NearMiss if !it.detail.is_empty() => {
            let _ = write!(detail, "#{}", lit(&format!("差距：{}", it.detail.join("；"))));
        }
        _ => {}
    }
    // On paper a `possible` policy shows its questions only; the benefit is in the xlsx and HTML.
    if !it.benefit_text.is_empty() && it.status != Status::Possible {
        if !detail.is_empty() {
            detail.push_str("\\ ");
        }
        let _ = write!(detail, "#small({})", lit(&it.benefit_text));
    }
    if let Some(n) = text::same_as_note(it) {
        let _ = write!(detail, "\\ #text(size: 7pt, fill: warn, {})", lit(&n));
    }
    let amount = text::item_amount(it);
    let amount = if it.counted { t(&amount) } else { format!("strike({})", t(&amount)) };
    format!(
        "  heavy(fill: {}, size: 8.5pt, {}), [{title}], {amount}, [{detail}], {}, text(size: 7.5pt, {}),\n",
        status_color(it.status),
        lit(it.status.label()),
        t(&it.department),
        lit(&text::deadline_cell(it)),
    )
}

fn enterprise(out: &mut String, n: usize, e: &EnterpriseBrief, numbered: bool) {
    // A single enterprise's name is already the title.
    if numbered {
        let heading = format!("{n}. {}", e.identity.name);
        let _ = writeln!(out, "#block(above: 4pt, below: 6pt, heavy(size: 13pt, {}))", lit(&heading));
    }
    let _ = writeln!(out, "#small({})\n", lit(&text::identity_line(&e.identity)));
    let _ = writeln!(out, "#{}\n", lit(&format!("{}。", text::enterprise_summary(e))));
    let _ = writeln!(
        out,
        "#block(width: 100%, inset: 6pt, radius: 3pt, fill: rgb(\"#eef6ff\"))[#heavy[建议同行部门：]#{}]\n",
        lit(&text::team_line(e))
    );
    if !e.questions.is_empty() {
        out.push_str("#section-title[要问的问题]\n#enum(tight: true,\n");
        for q in &e.questions {
            let unlock =
                if q.unlocks_wan > 0.0 { format!("，可能涉及 {}", text::wan(q.unlocks_wan)) } else { String::new() };
            let _ = writeln!(
                out,
                "  [#{} #small({})],",
                lit(&q.question),
                lit(&format!("（关系 {} 项政策{unlock}）", q.policies.len()))
            );
        }
        out.push_str(")\n");
        if e.more_questions > 0 {
            let _ = writeln!(out, "#small({})\n", lit(&format!("另有 {} 个问题，见各政策说明。", e.more_questions)));
        }
    }
    if !e.requests.is_empty() {
        out.push_str("#section-title[在办诉求（上门时一并答复）]\n#list(tight: true,\n");
        for r in &e.requests {
            let _ = writeln!(out, "  [#{}],", lit(&r.line()));
        }
        out.push_str(")\n");
    }
    if e.items.is_empty() {
        out.push_str("#text(fill: muted)[按现有信息，暂无符合、可能符合或差一点的政策。]\n\n");
        return;
    }
    out.push_str("#section-title[政策]\n");
    out.push_str(
        "#datatable(columns: (auto, 1.25fr, auto, 2.3fr, 0.75fr, 0.8fr), aligns: (left, left, right, left, left, left),\n  header: ([状态], [政策], [金额（万元）], [说明], [部门], [截止 / 申报期]),\n",
    );
    for it in &e.items {
        out.push_str(&item_cells(it));
    }
    out.push_str(")\n\n");
    if !e.materials.is_empty() {
        out.push_str("#section-title[需准备材料]\n#list(tight: true,\n");
        for m in &e.materials {
            let _ = writeln!(out, "  [#{} #small({})],", lit(&m.text), lit(&format!("（{}）", m.policies.join("、"))));
        }
        out.push_str(")\n\n");
    }
}

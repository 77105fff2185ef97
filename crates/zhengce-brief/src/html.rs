//! The brief as one standalone Chinese HTML page (no scripts, no external files) with an A4 print
//! stylesheet: each enterprise starts a new printed page, table headers repeat, rows do not split.
//! On a phone the policy tables turn into stacked cards.

use std::fmt::Write as _;

use zhengce_engine::format::num;
use zhengce_model::verdict::Status;

use crate::model::{Brief, EnterpriseBrief, Item, Mark};
use crate::text;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ink:#1f2328; --muted:#5b636e; --line:#d0d7de; --ok:#1a7f37; --maybe:#9a6700; --near:#0a5bd3; --warn:#b42318; --bg:#f6f8fa; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
  font-size: 15px; line-height: 1.6; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: .02em; }
h2 { font-size: 20px; margin: 0 0 6px; }
h3 { font-size: 15px; margin: 16px 0 6px; color: var(--ink); }
.sub { color: var(--muted); margin: 0 0 16px; font-size: 13px; }
.headline { font-size: 16px; background: var(--bg); border-left: 4px solid var(--ok); padding: 10px 14px; margin: 12px 0 16px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 12px 0 18px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.card b { display: block; font-size: 22px; line-height: 1.2; }
.card span { color: var(--muted); font-size: 13px; }
.card.ok b { color: var(--ok); } .card.maybe b { color: var(--maybe); } .card.near b { color: var(--near); }
table { width: 100%; border-collapse: collapse; margin: 6px 0 14px; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 5px 7px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.status { display: inline-block; white-space: nowrap; font-weight: 600; }
.s-eligible { color: var(--ok); } .s-possible { color: var(--maybe); } .s-near_miss { color: var(--near); }
.badge { display: inline-block; font-size: 11.5px; line-height: 1.4; border: 1px solid var(--warn); color: var(--warn);
  border-radius: 3px; padding: 0 4px; margin-left: 4px; white-space: nowrap; }
.level { color: var(--muted); font-size: 12px; white-space: nowrap; }
.doc { color: var(--muted); font-size: 12px; display: block; }
.detail { display: block; }
.benefit { color: var(--muted); font-size: 12.5px; display: block; }
.dup { color: var(--warn); font-size: 12px; display: block; }
.enterprise { border-top: 2px solid var(--ink); margin-top: 28px; padding-top: 14px; }
.enterprise.single { border-top: 0; margin-top: 8px; padding-top: 0; }
table.items { table-layout: fixed; }
table.items th { white-space: normal; }
table.items th.c-status { width: 5.2em; } table.items th.c-policy { width: 23%; } table.items th.c-amount { width: 6.6em; }
table.items th.c-dept { width: 8.5em; } table.items th.c-date { width: 9.5em; }
.ident { color: var(--muted); font-size: 13px; margin: 0 0 6px; }
.summary { margin: 6px 0; }
.team { margin: 8px 0; padding: 8px 12px; background: #eef6ff; border-radius: 6px; }
.team b { margin-right: 6px; }
.chip { display: inline-block; border: 1px solid #9cc3f5; background: #fff; border-radius: 12px; padding: 0 9px; margin: 2px 4px 2px 0; font-size: 13px; white-space: nowrap; }
ol.questions { margin: 4px 0 8px; padding-left: 24px; }
ol.questions li { margin: 2px 0; }
ol.questions .why { color: var(--muted); font-size: 12.5px; }
ul.materials { margin: 4px 0 8px; padding-left: 20px; columns: 2; column-gap: 28px; }
ul.materials li { break-inside: avoid; }
ul.materials .for { color: var(--muted); font-size: 12px; }
.caveats { margin-top: 28px; font-size: 12.5px; color: var(--muted); border-top: 1px solid var(--line); padding-top: 8px; }
.caveats li { margin: 2px 0; }
.empty { color: var(--muted); }
@media (max-width: 700px) {
  main { padding: 14px 12px 32px; }
  h1 { font-size: 21px; }
  .cards { grid-template-columns: repeat(2, 1fr); }
  ul.materials { columns: 1; }
  table.items { table-layout: auto; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack thead { display: none; }
  table.stack tr { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 10px; padding: 6px 8px; }
  table.stack td { border: 0; padding: 2px 0; text-align: left; white-space: normal; }
  table.stack td[data-label]::before { content: attr(data-label) "："; color: var(--muted); font-size: 12px; }
  table.stack td.num { text-align: left; }
  .wide { overflow-x: auto; }
}
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  body { font-size: 10pt; line-height: 1.45; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 17pt; } h2 { font-size: 13.5pt; } h3 { font-size: 10.5pt; margin: 8px 0 4px; }
  .cards { gap: 6px; } .card { padding: 5px 8px; } .card b { font-size: 14pt; }
  table { font-size: 8.8pt; }
  th, td { padding: 3px 5px; }
  thead { display: table-header-group; }
  tr, li, .card, .team { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .enterprise { break-before: page; border-top: 0; margin-top: 0; padding-top: 0; }
  .enterprise.single { break-before: auto; }
  tr.possible .benefit { display: none; }
  table.items th.c-status { width: 4.2em; } table.items th.c-amount { width: 5.8em; } table.items th.c-dept { width: 6.5em; } table.items th.c-date { width: 7.5em; }
  .headline, .team, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Renders the brief as a standalone HTML document.
pub fn render(b: &Brief) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&b.title)
    );
    let _ = writeln!(out, "<h1>{}</h1>\n<p class=\"sub\">{}</p>", esc(&b.title), esc(&text::subtitle(b)));
    if b.scope.is_group() {
        group(&mut out, b);
    }
    for (n, e) in b.enterprises.iter().enumerate() {
        enterprise(&mut out, n + 1, e, b.scope.is_group());
    }
    if b.enterprises.is_empty() {
        let _ = writeln!(out, "<p class=\"empty\">没有找到属于该{}的企业。</p>", b.scope.kind_label());
    }
    out.push_str("<section class=\"caveats\"><h3>说明</h3><ul>\n");
    for c in b.caveats() {
        let _ = writeln!(out, "<li>{}</li>", esc(&c));
    }
    out.push_str("</ul></section>\n</main>\n</body>\n</html>\n");
    out
}

fn badges(marks: &[Mark]) -> String {
    marks.iter().map(|m| format!("<span class=\"badge\">{}</span>", m.label())).collect()
}

fn card(out: &mut String, class: &str, value: &str, label: &str) {
    let _ = write!(out, "<div class=\"card {class}\"><b>{}</b><span>{}</span></div>", esc(value), esc(label));
}

fn group(out: &mut String, b: &Brief) {
    let t = &b.totals;
    let _ = writeln!(out, "<p class=\"headline\">{}。</p>", esc(&text::group_summary(b)));
    out.push_str("<div class=\"cards\">");
    card(out, "", &t.enterprises.to_string(), "家企业");
    card(out, "ok", &num(t.eligible.amount_wan), &format!("万元 · 符合 {} 项", t.eligible.policies));
    card(out, "maybe", &format!("≥{}", num(t.possible.amount_wan)), &format!("万元 · 可能符合 {} 项", t.possible.policies));
    card(out, "near", &t.near_miss.policies.to_string(), "项差一点");
    out.push_str("</div>\n");

    out.push_str("<h3>建议同行部门</h3>\n<div class=\"team\">");
    if t.departments.is_empty() {
        out.push('无');
    }
    for d in &t.departments {
        let _ = write!(out, "<span class=\"chip\">{}：{} 家 / {} 项</span>", esc(&d.name), d.enterprises, d.policies);
    }
    out.push_str("</div>\n");

    out.push_str(
        "<h3>企业一览</h3>\n<div class=\"wide\"><table class=\"stack\"><thead><tr><th class=\"num\">序号</th><th>企业</th>\
         <th class=\"num\">符合</th><th class=\"num\">金额（万元）</th><th class=\"num\">可能符合</th><th class=\"num\">差一点</th>\
         <th class=\"num\">待问问题</th><th>同行部门</th></tr></thead><tbody>\n",
    );
    for (n, e) in b.enterprises.iter().enumerate() {
        let team: Vec<&str> = e.team.iter().map(|d| d.name.as_str()).collect();
        let _ = writeln!(
            out,
            "<tr><td class=\"num\" data-label=\"序号\">{}</td><td data-label=\"企业\"><a href=\"#e{}\">{}</a></td>\
             <td class=\"num\" data-label=\"符合\">{}</td><td class=\"num\" data-label=\"金额（万元）\">{}</td>\
             <td class=\"num\" data-label=\"可能符合\">{}</td><td class=\"num\" data-label=\"差一点\">{}</td>\
             <td class=\"num\" data-label=\"待问问题\">{}</td><td data-label=\"同行部门\">{}</td></tr>",
            n + 1,
            n + 1,
            esc(&e.identity.name),
            e.eligible.policies,
            text::amount_or_dash(e.eligible.amount_wan),
            e.possible.policies,
            e.near_miss.policies,
            e.questions.len() + e.more_questions,
            esc(&team.join("、"))
        );
    }
    out.push_str("</tbody></table></div>\n");

    out.push_str(
        "<h3>涉及政策</h3>\n<div class=\"wide\"><table class=\"stack\"><thead><tr><th>政策</th><th>部门</th>\
         <th class=\"num\">符合</th><th class=\"num\">可能符合</th><th class=\"num\">差一点</th><th class=\"num\">符合金额（万元）</th></tr></thead><tbody>\n",
    );
    for p in &b.policies {
        let _ = writeln!(
            out,
            "<tr><td data-label=\"政策\">{}{}</td><td data-label=\"部门\">{}</td><td class=\"num\" data-label=\"符合\">{}</td>\
             <td class=\"num\" data-label=\"可能符合\">{}</td><td class=\"num\" data-label=\"差一点\">{}</td>\
             <td class=\"num\" data-label=\"符合金额（万元）\">{}</td></tr>",
            esc(&p.title),
            badges(&p.marks),
            esc(&p.department),
            p.eligible,
            p.possible,
            p.near_miss,
            text::amount_or_dash(p.eligible_wan)
        );
    }
    out.push_str("</tbody></table></div>\n");
}

fn item_row(out: &mut String, it: &Item) {
    let doc = it.document.as_deref().map(|d| format!("<span class=\"doc\">{}</span>", esc(d))).unwrap_or_default();
    let mut detail = String::new();
    match it.status {
        Status::Possible if !it.detail.is_empty() => {
            let _ = write!(detail, "<span class=\"detail\">待确认：{}</span>", esc(&it.detail.join(" ")));
        }
        Status::NearMiss if !it.detail.is_empty() => {
            let _ = write!(detail, "<span class=\"detail\">差距：{}</span>", esc(&it.detail.join("；")));
        }
        _ => {}
    }
    if !it.benefit_text.is_empty() {
        let _ = write!(detail, "<span class=\"benefit\">{}</span>", esc(&it.benefit_text));
    }
    if let Some(n) = text::same_as_note(it) {
        let _ = write!(detail, "<span class=\"dup\">{}</span>", esc(&n));
    }
    let amount = if it.counted { esc(&text::item_amount(it)) } else { format!("<s>{}</s>", esc(&text::item_amount(it))) };
    let _ = writeln!(
        out,
        "<tr class=\"{}\"><td data-label=\"状态\"><span class=\"status s-{}\">{}</span></td>\
         <td data-label=\"政策\">{} <span class=\"level\">{}</span>{}{doc}</td>\
         <td class=\"num\" data-label=\"金额（万元）\">{amount}</td><td data-label=\"说明\">{detail}</td>\
         <td data-label=\"部门\">{}</td><td data-label=\"截止 / 申报期\">{}</td></tr>",
        it.status.as_str(),
        it.status.as_str(),
        it.status.label(),
        esc(&it.title),
        it.level.label(),
        badges(&it.marks),
        esc(&it.department),
        esc(&text::deadline_cell(it)),
    );
}

fn enterprise(out: &mut String, n: usize, e: &EnterpriseBrief, numbered: bool) {
    // A single enterprise's name is already the title.
    if numbered {
        let _ = writeln!(out, "<section class=\"enterprise\" id=\"e{n}\">");
        let _ = writeln!(out, "<h2>{n}. {}</h2>", esc(&e.identity.name));
    } else {
        let _ = writeln!(out, "<section class=\"enterprise single\" id=\"e{n}\">");
    }
    let _ = writeln!(out, "<p class=\"ident\">{}</p>", esc(&text::identity_line(&e.identity)));
    let _ = writeln!(out, "<p class=\"summary\">{}。</p>", esc(&text::enterprise_summary(e)));
    out.push_str("<div class=\"team\"><b>建议同行部门</b>");
    if e.team.is_empty() {
        out.push_str("无（暂无需讨论的政策）");
    }
    for d in &e.team {
        let _ = write!(out, "<span class=\"chip\">{}（{} 项）</span>", esc(&d.name), d.policies);
    }
    out.push_str("</div>\n");
    if !e.questions.is_empty() {
        out.push_str("<h3>要问的问题</h3>\n<ol class=\"questions\">\n");
        for q in &e.questions {
            let unlock =
                if q.unlocks_wan > 0.0 { format!("，可能涉及 {}", text::wan(q.unlocks_wan)) } else { String::new() };
            let _ = writeln!(
                out,
                "<li>{} <span class=\"why\">（关系 {} 项政策{}）</span></li>",
                esc(&q.question),
                q.policies.len(),
                esc(&unlock)
            );
        }
        out.push_str("</ol>\n");
        if e.more_questions > 0 {
            let _ = writeln!(out, "<p class=\"empty\">另有 {} 个问题，见各政策说明。</p>", e.more_questions);
        }
    }
    if !e.requests.is_empty() {
        out.push_str("<h3>在办诉求（上门时一并答复）</h3>\n<ul class=\"requests\">\n");
        for r in &e.requests {
            let _ = writeln!(out, "<li>{}</li>", esc(&r.line()));
        }
        out.push_str("</ul>\n");
    }
    if e.items.is_empty() {
        out.push_str("<p class=\"empty\">按现有信息，暂无符合、可能符合或差一点的政策。</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<h3>政策</h3>\n<table class=\"stack items\"><thead><tr><th class=\"c-status\">状态</th><th class=\"c-policy\">政策</th>\
         <th class=\"num c-amount\">金额（万元）</th><th>说明</th><th class=\"c-dept\">部门</th><th class=\"c-date\">截止 / 申报期</th></tr></thead><tbody>\n",
    );
    for it in &e.items {
        item_row(out, it);
    }
    out.push_str("</tbody></table>\n");
    if !e.materials.is_empty() {
        out.push_str("<h3>需准备材料</h3>\n<ul class=\"materials\">\n");
        for m in &e.materials {
            let _ = writeln!(out, "<li>{} <span class=\"for\">（{}）</span></li>", esc(&m.text), esc(&m.policies.join("、")));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

//! The brief as Markdown: readable as plain text, pasteable into chat tools and documents.

use std::fmt::Write as _;

use crate::model::{Brief, EnterpriseBrief};
use crate::text;

/// Escapes a table cell: no pipes, no line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Renders the brief.
pub fn render(b: &Brief) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", b.title);
    let _ = writeln!(out, "{}\n", text::subtitle(b));
    if b.scope.is_group() {
        group(&mut out, b);
    }
    for (n, e) in b.enterprises.iter().enumerate() {
        enterprise(&mut out, n + 1, e, b.scope.is_group());
    }
    if b.enterprises.is_empty() {
        let _ = writeln!(out, "没有找到属于该{}的企业。\n", b.scope.kind_label());
    }
    let _ = writeln!(out, "## 说明\n");
    for c in b.caveats() {
        let _ = writeln!(out, "- {c}");
    }
    out
}

fn group(out: &mut String, b: &Brief) {
    let t = &b.totals;
    let _ = writeln!(out, "## 汇总\n");
    let _ = writeln!(out, "{}。\n", text::group_summary(b));
    let _ = writeln!(out, "### 建议同行部门\n");
    if t.departments.is_empty() {
        let _ = writeln!(out, "无。\n");
    } else {
        for d in &t.departments {
            let _ = writeln!(out, "- {}：{} 家企业，{} 项政策", d.name, d.enterprises, d.policies);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "### 企业一览\n");
    let _ = writeln!(out, "| 序号 | 企业 | 符合 | 金额（万元） | 可能符合 | 差一点 | 待问问题 | 同行部门 |");
    let _ = writeln!(out, "|---:|---|---:|---:|---:|---:|---:|---:|");
    for (n, e) in b.enterprises.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            n + 1,
            cell(&e.identity.name),
            e.eligible.policies,
            text::amount_or_dash(e.eligible.amount_wan),
            e.possible.policies,
            e.near_miss.policies,
            e.questions.len() + e.more_questions,
            e.team.len()
        );
    }
    let _ = writeln!(out, "\n### 涉及政策\n");
    let _ = writeln!(out, "| 政策 | 部门 | 符合 | 可能符合 | 差一点 | 符合金额（万元） |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|");
    for p in &b.policies {
        let marks: String = p.marks.iter().map(|m| format!("【{}】", m.label())).collect();
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} | {} | {} |",
            cell(&p.title),
            marks,
            cell(&p.department),
            p.eligible,
            p.possible,
            p.near_miss,
            text::amount_or_dash(p.eligible_wan)
        );
    }
    out.push('\n');
}

fn enterprise(out: &mut String, n: usize, e: &EnterpriseBrief, numbered: bool) {
    // A single enterprise's name is already the title.
    if numbered {
        let _ = writeln!(out, "## {n}. {}\n", e.identity.name);
    }
    let _ = writeln!(out, "{}\n", text::identity_line(&e.identity));
    let _ = writeln!(out, "{}。\n", text::enterprise_summary(e));
    let _ = writeln!(out, "**建议同行部门**：{}\n", text::team_line(e));
    if !e.questions.is_empty() {
        let _ = writeln!(out, "**要问的问题**\n");
        for (i, q) in e.questions.iter().enumerate() {
            let unlock =
                if q.unlocks_wan > 0.0 { format!("，可能涉及 {}", text::wan(q.unlocks_wan)) } else { String::new() };
            let _ = writeln!(out, "{}. {}（关系 {} 项政策{unlock}）", i + 1, q.question, q.policies.len());
        }
        if e.more_questions > 0 {
            let _ = writeln!(out, "\n另有 {} 个问题，见各政策说明。", e.more_questions);
        }
        out.push('\n');
    }
    if !e.requests.is_empty() {
        let _ = writeln!(out, "**在办诉求（上门时一并答复）**\n");
        for r in &e.requests {
            let _ = writeln!(out, "- {}", r.line());
        }
        out.push('\n');
    }
    if e.items.is_empty() {
        let _ = writeln!(out, "按现有信息，暂无符合、可能符合或差一点的政策。\n");
        return;
    }
    let _ = writeln!(out, "**政策**\n");
    let _ = writeln!(out, "| 状态 | 政策 | 金额（万元） | 说明 | 部门 | 截止 / 申报期 | 文件 |");
    let _ = writeln!(out, "|---|---|---:|---|---|---|---|");
    for it in &e.items {
        let _ = writeln!(
            out,
            "| {} | {}{}（{}） | {}{} | {} | {} | {} | {} |",
            it.status.label(),
            cell(&it.title),
            text::marks(it),
            it.level.label(),
            text::item_amount(it),
            if it.counted { "" } else { "（不重复计）" },
            cell(&text::item_detail(it)),
            cell(&it.department),
            cell(&text::deadline_cell(it)),
            cell(it.document.as_deref().unwrap_or("—")),
        );
    }
    out.push('\n');
    if !e.materials.is_empty() {
        let _ = writeln!(out, "**需准备材料**（符合与可能符合的政策）\n");
        for m in &e.materials {
            let _ = writeln!(out, "- {}（{}）", m.text, m.policies.join("、"));
        }
        out.push('\n');
    }
    let deadlines = e.deadlines();
    if !deadlines.is_empty() {
        let _ = writeln!(out, "**截止日期**\n");
        for it in &deadlines {
            if let Some(d) = it.deadline {
                let _ = writeln!(out, "- {d} {}（{}）", it.title, it.status.label());
            }
        }
        out.push('\n');
    }
}

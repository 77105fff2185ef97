//! Chinese phrases shared by every rendering, so the HTML, Markdown, xlsx and PDF say the same.

pub use zhengce_engine::format::num;
use zhengce_model::verdict::Status;

use crate::model::{Brief, EnterpriseBrief, Identity, Item, Tally, Window};

/// An amount in 万元 as text (`12.5 万元`).
pub fn wan(amount: f64) -> String {
    format!("{} 万元", num(amount))
}

/// The amount cell of an item: the figure (with `≥` for a conservative estimate), or `—`.
pub fn item_amount(it: &Item) -> String {
    match (it.amount_wan, it.status) {
        (Some(a), Status::Possible) => format!("≥{}", num(a)),
        (Some(a), _) => num(a),
        (None, _) => "—".into(),
    }
}

/// The status label of an item.
pub fn status_label(s: Status) -> &'static str {
    s.label()
}

/// `镇街 … · 园区 … · 商会 … · 行业 …`, the parts that are known.
pub fn identity_line(id: &Identity) -> String {
    let mut parts = vec![format!("统一社会信用代码 {}", id.credit_code)];
    for (label, v) in [("镇街", &id.town), ("园区", &id.park), ("商会", &id.chamber), ("行业", &id.industry)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{label} {v}"));
        }
    }
    parts.join(" · ")
}

/// One tally in words: `符合 3 项，约 12.5 万元`.
pub fn tally(label: &str, t: Tally, at_least: bool) -> String {
    if t.policies == 0 {
        return format!("{label} 0 项");
    }
    if t.amount_wan > 0.0 {
        let prefix = if at_least { "至少" } else { "约" };
        format!("{label} {} 项，{prefix} {}", t.policies, wan(t.amount_wan))
    } else {
        format!("{label} {} 项", t.policies)
    }
}

/// The summary sentence of an enterprise.
pub fn enterprise_summary(e: &EnterpriseBrief) -> String {
    [tally("符合", e.eligible, false), tally("可能符合", e.possible, true), tally("差一点", e.near_miss, false)].join("；")
}

/// The team of an enterprise: `人力资源和社会保障局（3 项）、…`.
pub fn team_line(e: &EnterpriseBrief) -> String {
    if e.team.is_empty() {
        return "无（暂无需讨论的政策）".into();
    }
    e.team.iter().map(|d| format!("{}（{} 项）", d.name, d.policies)).collect::<Vec<_>>().join("、")
}

/// The note on an item whose amount is counted under another document.
pub fn same_as_note(it: &Item) -> Option<String> {
    it.same_as.as_ref().map(|t| format!("与《{t}》为同一项支持，金额不重复计"))
}

/// The explanation cell of an item: what decides it, then the benefit in words.
pub fn item_detail(it: &Item) -> String {
    let mut parts = Vec::new();
    match it.status {
        Status::Possible if !it.detail.is_empty() => parts.push(format!("待确认：{}", it.detail.join(" "))),
        Status::NearMiss if !it.detail.is_empty() => parts.push(format!("差距：{}", it.detail.join("；"))),
        _ => {}
    }
    if !it.benefit_text.is_empty() {
        parts.push(it.benefit_text.clone());
    }
    if let Some(n) = same_as_note(it) {
        parts.push(n);
    }
    join_sentences(&parts)
}

/// Joins sentences with 「。」 unless one already ends in a full stop or question mark.
pub fn join_sentences(parts: &[String]) -> String {
    let mut out = String::new();
    for p in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        if !out.is_empty() && !out.ends_with(['。', '？', '！', '；', '.', '?']) {
            out.push('。');
        }
        out.push_str(p);
    }
    out
}

/// The markings of an item as badges: `【草案/待核实】`.
pub fn marks(it: &Item) -> String {
    it.marks.iter().map(|m| format!("【{}】", m.label())).collect()
}

/// The deadline cell: the application window, and the end of the policy when that comes first.
pub fn deadline_cell(it: &Item) -> String {
    let window = it.window.text();
    match (it.deadline, it.window) {
        (Some(d), Window::Open { closes: Some(c) } | Window::NotYet { closes: Some(c), .. }) if c <= d => window,
        (Some(d), _) => format!("{window}，政策至 {d}"),
        (None, _) => window,
    }
}

/// An amount cell where zero means "no amount": `—`.
pub fn amount_or_dash(amount: f64) -> String {
    if amount > 0.0 { num(amount) } else { "—".into() }
}

/// The headline of the whole brief.
pub fn group_summary(b: &Brief) -> String {
    let t = &b.totals;
    format!(
        "共 {} 家企业，{} 家有可直接申报的政策；{}；{}；{}",
        t.enterprises,
        t.with_eligible,
        tally("符合", t.eligible, false),
        tally("可能符合", t.possible, true),
        tally("差一点", t.near_miss, false)
    )
}

/// The line under the title: scope, date and corpus version.
pub fn subtitle(b: &Brief) -> String {
    let short = b.rules_version.get(..12).unwrap_or(&b.rules_version);
    let dated = format!("匹配日期 {} · 规则库版本 {short}", b.as_of);
    if b.scope.is_group() { format!("{}：{} · {dated}", b.scope.kind_label(), b.scope.name()) } else { dated }
}

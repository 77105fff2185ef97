//! Chinese texts: one notification (policy, key reasons, estimated amount, deadline, department,
//! how to apply) and the digests sent per enterprise and per town.

use serde_json::{Value, json};
use zhengce_model::Date;
use zhengce_model::policy::Policy;
use zhengce_model::verdict::{Outcome, PolicyResult, Status};
use zhengce_store::push::{ClaimedMessage, NotificationRow};

use crate::ChangeKind;

/// Largest number of reasons, gaps or questions quoted in one notification.
const MAX_ITEMS: usize = 3;

/// Lines of a digest before the rest is summarised as "等 N 项".
const MAX_DIGEST_LINES: usize = 50;

/// Chinese label of a status.
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Eligible => "符合条件",
        Status::Possible => "可能符合",
        Status::NearMiss => "差一点符合",
        Status::Ineligible => "不符合",
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.take(MAX_ITEMS).collect::<Vec<_>>().join("；")
}

fn how_to_apply(p: &Policy) -> String {
    p.meta.channel.clone().unwrap_or_else(|| format!("请联系{}", p.meta.department))
}

/// The text and details of one notification. `result` is the full verdict (absent for
/// `no_longer_in_force`, which needs none); `as_of` dates the message.
pub fn render(kind: ChangeKind, p: &Policy, result: Option<&PolicyResult>, enterprise: &str, as_of: Date) -> (String, Value) {
    let title = &p.meta.title;
    let dept = &p.meta.department;
    let amount = result.and_then(|r| r.benefit.as_ref()).map(|b| b.amount_wan);
    let deadline = result.and_then(|r| r.deadline);
    let amount_text = result
        .and_then(|r| r.benefit.as_ref())
        .map(|b| format!("预计可获约{}万元（{}）。", zhengce_engine::format::num(b.amount_wan), b.text))
        .unwrap_or_default();
    let deadline_text = deadline.map(|d| format!("申报截止：{d}。")).unwrap_or_default();
    let apply = format!("受理部门：{dept}。申报方式：{}。", how_to_apply(p));
    let passes =
        || join(result.into_iter().flat_map(|r| r.reasons.iter()).filter(|r| r.outcome == Outcome::Pass).map(|r| r.text.clone()));
    let gaps = || join(result.into_iter().flat_map(|r| r.gaps.iter()).map(|g| g.text.clone()));
    let questions = || join(result.into_iter().flat_map(|r| r.missing.iter()).map(|m| m.question.clone()));
    let fails =
        || join(result.into_iter().flat_map(|r| r.reasons.iter()).filter(|r| r.outcome == Outcome::Fail).map(|r| r.text.clone()));
    let text = match kind {
        ChangeKind::NewlyEligible => {
            let why = passes();
            let why = if why.is_empty() { String::new() } else { format!("主要依据：{why}。") };
            format!("【新符合】《{title}》：贵企业现已符合申报条件。{why}{amount_text}{deadline_text}{apply}")
        }
        ChangeKind::NewlyNearMiss => {
            format!("【差一点符合】《{title}》：{}。达到后即可申报。{amount_text}{deadline_text}{apply}", gaps())
        }
        ChangeKind::NewlyPossible => {
            format!("【可能符合】《{title}》：还需确认以下情况：{}。请向{dept}咨询或补充企业信息。{deadline_text}", questions())
        }
        ChangeKind::NoLongerEligible => {
            let now = result.map_or(Status::Ineligible, |r| r.status);
            let why = match now {
                Status::NearMiss => gaps(),
                Status::Possible => format!("需要重新确认：{}", questions()),
                _ => fails(),
            };
            let why = if why.is_empty() { String::new() } else { format!("原因：{why}。") };
            format!("【不再符合】《{title}》：按最新政策或企业信息，贵企业目前{}。{why}如有疑问请联系{dept}。", status_label(now))
        }
        ChangeKind::DeadlineApproaching => {
            let days = deadline.map_or(0, |d| d.days_since_epoch() - as_of.days_since_epoch());
            format!(
                "【申报即将截止】《{title}》还有{days}天截止申报，贵企业符合条件但尚未登记申报。{amount_text}{deadline_text}{apply}"
            )
        }
        ChangeKind::NoLongerInForce => {
            let end = p.meta.effective_to.map(|d| format!("已于{d}到期")).unwrap_or_else(|| "已停止执行".to_string());
            format!("【政策到期】《{title}》{end}，不再受理申报。如有后续政策将另行通知。")
        }
    };
    // Details stay small (the text already quotes gaps, questions and how to apply): a first run
    // over a county queues millions of these.
    let detail = json!({
        "enterprise_name": enterprise,
        "title": title,
        "department": dept,
        "status": result.map(|r| r.status.as_str()),
        "amount_wan": amount,
        "deadline": deadline.map(|d| d.to_string()),
    });
    (text, detail)
}

/// The subject and body of a message: an enterprise's digest (every change of one run), for a
/// town recipient (`town:…`) the officers' digest of who newly qualifies, or for a dispatcher
/// (`dispatch:…`) the overdue requests escalated to them.
pub fn digest(m: &ClaimedMessage) -> (String, String) {
    let n = m.notifications.len();
    if m.recipient.starts_with("dispatch:") {
        // Overdue requests escalated to their dispatcher (queued by the store's escalation).
        let subject = format!("【诉求督办】超期未办结 {n} 件");
        let mut lines: Vec<String> = m.notifications.iter().take(MAX_DIGEST_LINES).map(|x| x.text.clone()).collect();
        if n > MAX_DIGEST_LINES {
            lines.push(format!("……等共 {n} 件，详见系统“企业诉求”。"));
        }
        let body = format!("{subject}\n{}", numbered(&lines));
        return (subject, body);
    }
    if let Some(town) = m.recipient.strip_prefix("town:") {
        let subject = format!("【政策找企业】{town}：新符合条件 {n} 项");
        let mut lines: Vec<String> = m.notifications.iter().take(MAX_DIGEST_LINES).map(officer_line).collect();
        if n > MAX_DIGEST_LINES {
            lines.push(format!("……等共 {n} 项，详见系统。"));
        }
        let body = format!("{subject}\n{}", numbered(&lines));
        return (subject, body);
    }
    let name = m.notifications.first().map(enterprise_name).unwrap_or_default();
    let subject = if n == 1 {
        format!("【政策找企业】{name}：{}", m.notifications.first().map_or("", |x| title(x)))
    } else {
        format!("【政策找企业】{name}：{n} 项政策有新变化")
    };
    // What the firm can act on first: money it qualifies for and deadlines, then gaps, then
    // losses; "possible" items (often many on a first run) are folded into one line of titles
    // when there are more than a few, since each only asks the firm to answer questions.
    let mut items: Vec<&NotificationRow> = m.notifications.iter().collect();
    items.sort_by_key(|x| kind_rank(&x.kind));
    let possible = items.iter().filter(|x| x.kind == ChangeKind::NewlyPossible.as_str()).count();
    let fold = possible > MAX_POSSIBLE_LISTED;
    let mut lines: Vec<String> = items
        .iter()
        .filter(|x| !(fold && x.kind == ChangeKind::NewlyPossible.as_str()))
        .take(MAX_DIGEST_LINES)
        .map(|x| x.text.clone())
        .collect();
    let shown = lines.len() + if fold { possible } else { 0 };
    if fold {
        let titles: Vec<String> = items
            .iter()
            .filter(|x| x.kind == ChangeKind::NewlyPossible.as_str())
            .take(10)
            .map(|x| format!("《{}》", title(x)))
            .collect();
        let more = if possible > titles.len() { format!("等 {possible} 项") } else { format!("共 {possible} 项") };
        lines.push(format!(
            "【可能符合】{}{more}政策可能适用，需补充企业信息才能确定。可登录系统“自助体检”回答相关问题，或联系走访干部。",
            titles.join("")
        ));
    }
    if shown < n {
        lines.push(format!("……等共 {n} 项，详见系统。"));
    }
    let body = format!("{subject}\n{}\n（如不希望再收到推送，可在系统中退订。）", numbered(&lines));
    (subject, body)
}

/// "Possible" items listed one by one in an enterprise's digest before they are folded.
const MAX_POSSIBLE_LISTED: usize = 3;

/// Digest order: eligible, deadline, near miss, no longer eligible, ended, possible.
fn kind_rank(kind: &str) -> usize {
    const ORDER: [ChangeKind; 6] = [
        ChangeKind::NewlyEligible,
        ChangeKind::DeadlineApproaching,
        ChangeKind::NewlyNearMiss,
        ChangeKind::NoLongerEligible,
        ChangeKind::NoLongerInForce,
        ChangeKind::NewlyPossible,
    ];
    ORDER.iter().position(|k| k.as_str() == kind).unwrap_or(ORDER.len())
}

fn numbered(lines: &[String]) -> String {
    lines.iter().enumerate().map(|(i, l)| format!("{}. {l}", i + 1)).collect::<Vec<_>>().join("\n")
}

fn enterprise_name(n: &NotificationRow) -> String {
    n.detail.get("enterprise_name").and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or(&n.credit_code).to_string()
}

fn title(n: &NotificationRow) -> &str {
    n.detail.get("title").and_then(Value::as_str).unwrap_or(&n.policy)
}

fn officer_line(n: &NotificationRow) -> String {
    let amount = n
        .detail
        .get("amount_wan")
        .and_then(Value::as_f64)
        .map(|a| format!("，预计约{}万元", zhengce_engine::format::num(a)))
        .unwrap_or_default();
    format!("{}（{}）新符合《{}》{amount}", enterprise_name(n), n.credit_code, title(n))
}

/// Cuts `s` to at most `max` bytes at a character boundary (robot messages have byte limits).
pub fn truncate_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub("…".len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(kind: ChangeKind, policy: &str) -> NotificationRow {
        NotificationRow {
            key: format!("{policy}-{}", kind.as_str()),
            credit_code: "91370830MA00000000".into(),
            policy: policy.into(),
            policy_version: "v1".into(),
            channel: "c".into(),
            kind: kind.as_str().into(),
            message_id: "m".into(),
            text: format!("{}《{policy}》", kind.label()),
            detail: json!({ "enterprise_name": "甲公司", "title": policy }),
            created_at: 0,
        }
    }

    fn message(notes: Vec<NotificationRow>) -> ClaimedMessage {
        ClaimedMessage {
            id: "m".into(),
            run_id: 1,
            channel: "c".into(),
            recipient: "91370830MA00000000".into(),
            attempts: 0,
            notifications: notes,
        }
    }

    #[test]
    fn an_enterprise_digest_puts_money_first_and_folds_many_possibles() {
        let mut notes: Vec<NotificationRow> = (0..6).map(|i| note(ChangeKind::NewlyPossible, &format!("可能{i}"))).collect();
        notes.push(note(ChangeKind::NewlyNearMiss, "差一点"));
        notes.push(note(ChangeKind::NewlyEligible, "符合"));
        let (subject, body) = digest(&message(notes));
        assert_eq!(subject, "【政策找企业】甲公司：8 项政策有新变化");
        let lines: Vec<&str> = body.lines().collect();
        assert!(lines[1].starts_with("1. 新符合条件《符合》"), "{body}");
        assert!(lines[2].starts_with("2. 新出现差一点符合《差一点》"), "{body}");
        assert!(lines[3].starts_with("3. 【可能符合】《可能0》《可能1》"), "{body}");
        assert!(lines[3].contains("共 6 项政策可能适用"), "{body}");
        assert_eq!(lines.len(), 5, "subject, three lines, the unsubscribe note: {body}");
    }

    #[test]
    fn a_few_possibles_are_listed_one_by_one() {
        let notes = vec![note(ChangeKind::NewlyPossible, "甲"), note(ChangeKind::NewlyPossible, "乙")];
        let (_, body) = digest(&message(notes));
        assert!(body.contains("1. 新出现可能符合《甲》") && body.contains("2. 新出现可能符合《乙》"), "{body}");
    }
}

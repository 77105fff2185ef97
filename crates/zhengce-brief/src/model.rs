//! The brief model: what a visit brief says, built once from match reports and the snapshot, and
//! rendered by every output format alike.

use std::collections::BTreeMap;

use zhengce_engine::Snapshot;
use zhengce_model::Date;
use zhengce_model::policy::{Confidence, Level, Marking, PolicyMeta};
use zhengce_model::verdict::{Application, MatchReport, PolicyResult, Status, WindowState};

/// At most this many questions are listed per enterprise (the rest are counted).
pub const MAX_QUESTIONS: usize = 5;

/// Who an enterprise is: the identity columns of the roster.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// 企业名称.
    pub name: String,
    /// 镇街.
    pub town: Option<String>,
    /// 园区.
    pub park: Option<String>,
    /// 商会.
    pub chamber: Option<String>,
    /// Industry (a code, a label, or both, as the caller has it).
    pub industry: Option<String>,
}

/// What the brief is for: one enterprise or a group visited together.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Scope {
    /// One enterprise, by credit code.
    Enterprise(String),
    /// A town or street (镇街).
    Town(String),
    /// A park (园区).
    Park(String),
    /// A chamber of commerce (商会).
    Chamber(String),
}

impl Scope {
    /// The Chinese name of the kind of scope.
    pub fn kind_label(&self) -> &'static str {
        match self {
            Scope::Enterprise(_) => "企业",
            Scope::Town(_) => "镇街",
            Scope::Park(_) => "园区",
            Scope::Chamber(_) => "商会",
        }
    }

    /// The name or code the scope was asked for.
    pub fn name(&self) -> &str {
        match self {
            Scope::Enterprise(s) | Scope::Town(s) | Scope::Park(s) | Scope::Chamber(s) => s,
        }
    }

    /// Whether the brief covers a group (several enterprises are expected).
    pub fn is_group(&self) -> bool {
        !matches!(self, Scope::Enterprise(_))
    }
}

/// A marking shown beside a policy: the reader must not take it as settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Mark {
    /// Draft or being drafted: criteria or amounts unpublished.
    Draft,
    /// Illustrative only, not a real policy.
    Sample,
    /// Some criteria come from general knowledge and are unverified.
    Unverified,
}

impl Mark {
    /// The badge text.
    pub fn label(self) -> &'static str {
        match self {
            Mark::Draft => "草案/待核实",
            Mark::Sample => "示例",
            Mark::Unverified => "待核实",
        }
    }

    /// What the badge means, for the legend.
    pub fn explanation(self) -> &'static str {
        match self {
            Mark::Draft => "政策尚在起草或条件、金额未公布，仅供提前准备，请以正式文件为准",
            Mark::Sample => "示例政策，并非真实文件，不应向企业承诺",
            Mark::Unverified => "部分条件来自一般知识，尚未核实原文，请以主管部门解释为准",
        }
    }
}

/// The application window of a policy on the brief's date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Window {
    /// Open now; `closes` when known.
    Open {
        /// Last day, when fixed.
        closes: Option<Date>,
    },
    /// Opens later.
    NotYet {
        /// First day.
        opens: Date,
        /// Last day, when fixed.
        closes: Option<Date>,
    },
    /// This round has closed.
    Closed {
        /// Last day of the round.
        closes: Date,
    },
    /// No fixed window (handled all year, or applied automatically).
    Rolling,
}

impl Window {
    /// The window of a match result (the engine decides its state on the matching date).
    pub fn of(app: &Application) -> Window {
        match (app.state, app.opens, app.closes) {
            (WindowState::Rolling, _, _) => Window::Rolling,
            (WindowState::NotYet, Some(opens), closes) => Window::NotYet { opens, closes },
            (WindowState::Closed, _, Some(closes)) => Window::Closed { closes },
            (WindowState::Open | WindowState::NotYet | WindowState::Closed, _, closes) => Window::Open { closes },
        }
    }

    /// Chinese text.
    pub fn text(self) -> String {
        match self {
            Window::Open { closes: Some(c) } => format!("申报中，{c} 截止"),
            Window::Open { closes: None } => "申报中".into(),
            Window::NotYet { opens, closes: Some(c) } => format!("{opens} 至 {c} 申报"),
            Window::NotYet { opens, closes: None } => format!("{opens} 起申报"),
            Window::Closed { closes } => format!("本期已于 {closes} 截止"),
            Window::Rolling => "无固定申报期".into(),
        }
    }
}

/// One policy to discuss with one enterprise.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Item {
    /// Policy slug.
    pub slug: String,
    /// Short title.
    pub title: String,
    /// Issuing level.
    pub level: Level,
    /// The county department that handles it.
    pub department: String,
    /// Eligible, possible or near miss.
    pub status: Status,
    /// Estimated amount in 万元 (for `possible`, the conservative estimate).
    pub amount_wan: Option<f64>,
    /// The benefit in words (the policy's summary when no amount is computed).
    pub benefit_text: String,
    /// Whether the amount counts in the sums: false for a second document of the same support
    /// (one that `implements` another, or is implemented by another, listed for the same firm).
    pub counted: bool,
    /// For a document not counted: the title of the one whose amount is counted instead.
    pub same_as: Option<String>,
    /// What decides it: the questions of a `possible` policy, the gaps of a near miss.
    pub detail: Vec<String>,
    /// Application deadline or end of the policy, whichever comes first.
    pub deadline: Option<Date>,
    /// Application window on the brief's date.
    pub window: Window,
    /// Materials to bring.
    pub materials: Vec<String>,
    /// How to apply.
    pub channel: Option<String>,
    /// Document number (文号) or full title of the source document.
    pub document: Option<String>,
    /// The first cited source: title and URL.
    pub source: Option<(String, Option<String>)>,
    /// Draft, sample and unverified markings.
    pub marks: Vec<Mark>,
}

/// A question to ask at the visit: a missing fact, what it could unlock and what it settles.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Question {
    /// Profile field.
    pub field: String,
    /// The question, in Chinese.
    pub question: String,
    /// Titles of the `possible` policies it helps settle.
    pub policies: Vec<String>,
    /// The amount (万元, counted once per support) of those policies.
    pub unlocks_wan: f64,
}

/// Policies and their amount, counted once per support.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Tally {
    /// How many policies (every listed document).
    pub policies: usize,
    /// Sum of counted amounts in 万元, rounded to 0.01.
    pub amount_wan: f64,
}

/// The departments an enterprise's matters belong to: the team of the visit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Department {
    /// Department name.
    pub name: String,
    /// How many policies of the brief (or enterprise) it handles.
    pub policies: usize,
    /// How many enterprises need it (1 in an enterprise's own team).
    pub enterprises: usize,
}

/// A material to prepare and the policies that need it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Material {
    /// What to bring.
    pub text: String,
    /// Titles of the policies asking for it.
    pub policies: Vec<String>,
}

/// An open request (诉求) of the enterprise, for the visiting team to answer (进一次门、办多项事).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OpenRequest {
    /// The request's number.
    pub id: i64,
    /// Category label (用工, 融资, …).
    pub category: String,
    /// The request in the enterprise's words.
    pub text: String,
    /// State label (待派单, 办理中, …).
    pub state: String,
    /// The handling department, once dispatched.
    pub department: Option<String>,
    /// Due date, once dispatched.
    pub due: Option<Date>,
    /// Past its due date on the brief's day.
    pub overdue: bool,
}

impl OpenRequest {
    /// One line of Chinese: `第 N 号 用工：…（办理中，人社局，2025-06-15 前，已超期）`.
    pub fn line(&self) -> String {
        let mut tail = vec![self.state.clone()];
        tail.extend(self.department.clone());
        tail.extend(self.due.map(|d| format!("{d} 前")));
        if self.overdue {
            tail.push("已超期".into());
        }
        format!("第 {} 号 {}：{}（{}）", self.id, self.category, self.text, tail.join("，"))
    }
}

/// Everything about one enterprise.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EnterpriseBrief {
    /// Who.
    pub identity: Identity,
    /// Eligible, then possible, then near-miss policies, best first within each.
    pub items: Vec<Item>,
    /// The questions to ask, at most [`MAX_QUESTIONS`], ranked by the amount they could unlock,
    /// then by how many policies they settle.
    pub questions: Vec<Question>,
    /// Distinct missing facts beyond those listed.
    pub more_questions: usize,
    /// The team: departments of every policy to discuss, most matters first.
    pub team: Vec<Department>,
    /// Eligible policies and amount.
    pub eligible: Tally,
    /// Possible policies and (conservative) amount, supports already eligible not counted again.
    pub possible: Tally,
    /// Near-miss policies and amount, supports already counted above not counted again.
    pub near_miss: Tally,
    /// Materials for the eligible and possible policies, each once.
    pub materials: Vec<Material>,
    /// Its open requests (诉求), oldest first; attached by the caller ([`Brief::attach_requests`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<OpenRequest>,
}

impl EnterpriseBrief {
    /// The items of one status.
    pub fn with_status(&self, status: Status) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(move |i| i.status == status)
    }

    /// Items with a deadline, soonest first.
    pub fn deadlines(&self) -> Vec<&Item> {
        let mut out: Vec<&Item> = self.items.iter().filter(|i| i.deadline.is_some()).collect();
        out.sort_by(|a, b| a.deadline.cmp(&b.deadline).then_with(|| a.slug.cmp(&b.slug)));
        out
    }
}

/// One policy across a group: how many enterprises it concerns.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PolicyCount {
    /// Slug.
    pub slug: String,
    /// Short title.
    pub title: String,
    /// Department.
    pub department: String,
    /// Enterprises eligible.
    pub eligible: usize,
    /// Enterprises possibly eligible.
    pub possible: usize,
    /// Enterprises nearly eligible.
    pub near_miss: usize,
    /// Counted eligible amount across the group (万元).
    pub eligible_wan: f64,
    /// Markings of the policy.
    pub marks: Vec<Mark>,
}

/// Group totals.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Totals {
    /// Enterprises in the brief.
    pub enterprises: usize,
    /// Enterprises with at least one eligible policy.
    pub with_eligible: usize,
    /// Eligible (enterprise, policy) pairs and the counted amount.
    pub eligible: Tally,
    /// Possible pairs and the counted conservative amount.
    pub possible: Tally,
    /// Near-miss pairs and the counted amount.
    pub near_miss: Tally,
    /// Distinct missing facts summed over enterprises.
    pub questions: usize,
    /// Departments needed, most enterprises first.
    pub departments: Vec<Department>,
}

/// A visit brief.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Brief {
    /// What it covers.
    pub scope: Scope,
    /// The title, in Chinese.
    pub title: String,
    /// The matching date.
    pub as_of: Date,
    /// The corpus version that produced it.
    pub rules_version: String,
    /// One entry per enterprise, in the order given.
    pub enterprises: Vec<EnterpriseBrief>,
    /// Group totals.
    pub totals: Totals,
    /// Every policy concerning at least one enterprise, most eligible enterprises first.
    pub policies: Vec<PolicyCount>,
    /// The markings that occur in the brief (for the legend).
    pub marks: Vec<Mark>,
}

impl Brief {
    /// Attaches each enterprise's open requests (by credit code), so every rendering lists them.
    pub fn attach_requests(&mut self, by_code: &mut BTreeMap<String, Vec<OpenRequest>>) {
        for e in &mut self.enterprises {
            if let Some(list) = by_code.remove(&e.identity.credit_code) {
                e.requests = list;
            }
        }
    }

    /// How many open requests the brief lists.
    pub fn open_requests(&self) -> usize {
        self.enterprises.iter().map(|e| e.requests.len()).sum()
    }
    /// Notes every rendering prints with the brief.
    pub fn caveats(&self) -> Vec<String> {
        let mut out = vec![
            "金额为按企业现有信息估算的参考值（万元），以主管部门审核为准；「可能符合」的金额为保守估计".to_string(),
            "同一项支持的上级文件与落实文件只计一次金额".to_string(),
        ];
        out.extend(self.marks.iter().map(|m| format!("【{}】{}", m.label(), m.explanation())));
        out
    }
}

/// Builds the brief of `scope` on `as_of` from each enterprise's identity and match report.
/// Ineligible policies are left out; everything else comes from the report and the snapshot.
pub fn build(snapshot: &Snapshot, scope: Scope, as_of: Date, enterprises: &[(Identity, MatchReport)]) -> Brief {
    let briefs: Vec<EnterpriseBrief> = enterprises.iter().map(|(id, r)| enterprise(snapshot, id, r)).collect();
    let title = match &scope {
        Scope::Enterprise(code) => {
            let name = briefs.first().map_or(code.as_str(), |e| e.identity.name.as_str());
            format!("{name} 走访简报")
        }
        other => format!("{} 走访简报", other.name()),
    };
    let rules_version = enterprises.first().map_or_else(|| snapshot.version().to_string(), |(_, r)| r.rules_version.clone());
    let totals = totals(&briefs);
    let policies = policy_counts(&briefs);
    let mut marks: Vec<Mark> = briefs.iter().flat_map(|e| e.items.iter().flat_map(|i| i.marks.iter().copied())).collect();
    marks.sort();
    marks.dedup();
    Brief { scope, title, as_of, rules_version, enterprises: briefs, totals, policies, marks }
}

fn marks_of(meta: &PolicyMeta) -> Vec<Mark> {
    let mut out = Vec::new();
    match meta.marking {
        Marking::Draft => out.push(Mark::Draft),
        Marking::Sample => out.push(Mark::Sample),
        Marking::Official | Marking::Historical => {}
    }
    if meta.confidence == Confidence::GK && meta.marking != Marking::Draft {
        out.push(Mark::Unverified);
    }
    out
}

/// The support a policy belongs to: the end of its `implements` chain.
fn support_of(snapshot: &Snapshot, slug: &str) -> String {
    let mut current = slug.to_string();
    // A chain longer than the number of levels would be a cycle; stop rather than loop.
    for _ in 0..Level::ALL.len() {
        match snapshot.policy(&current).and_then(|p| p.meta.implements.clone()) {
            Some(next) if next != current => current = next,
            _ => break,
        }
    }
    current
}

fn rank(s: Status) -> u8 {
    match s {
        Status::Eligible => 0,
        Status::Possible => 1,
        Status::NearMiss => 2,
        Status::Ineligible => 3,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn item(snapshot: &Snapshot, r: &PolicyResult) -> Item {
    let meta = snapshot.policy(&r.policy).map(|p| &p.meta);
    let detail = match r.status {
        Status::Possible => r.missing.iter().map(|m| m.question.clone()).collect(),
        Status::NearMiss => r.gaps.iter().map(|g| g.text.clone()).collect(),
        Status::Eligible | Status::Ineligible => Vec::new(),
    };
    let benefit_text = match (&r.benefit, meta) {
        (Some(b), _) => b.text.clone(),
        (None, Some(m)) => m.benefit_summary.clone(),
        (None, None) => String::new(),
    };
    let mut marks = meta.map(marks_of).unwrap_or_default();
    if marks.is_empty() {
        // The result carries the marking even when the snapshot lacks the policy's metadata.
        match r.marking {
            Marking::Draft => marks.push(Mark::Draft),
            Marking::Sample => marks.push(Mark::Sample),
            _ if r.confidence == Confidence::GK => marks.push(Mark::Unverified),
            _ => {}
        }
    }
    Item {
        slug: r.policy.clone(),
        title: r.title.clone(),
        level: r.level,
        department: r.department.clone(),
        status: r.status,
        amount_wan: r.benefit.as_ref().map(|b| b.amount_wan),
        benefit_text,
        counted: true,
        same_as: None,
        detail,
        deadline: r.deadline,
        window: Window::of(&r.application),
        materials: meta.map(|m| m.materials.clone()).unwrap_or_default(),
        channel: meta.and_then(|m| m.channel.clone()),
        document: meta.and_then(|m| m.doc_number.clone().or_else(|| m.doc_title.clone())),
        source: meta.and_then(|m| m.sources.first()).map(|s| (s.title.clone(), s.url.clone())),
        marks,
    }
}

fn enterprise(snapshot: &Snapshot, identity: &Identity, report: &MatchReport) -> EnterpriseBrief {
    let mut items: Vec<Item> =
        report.results.iter().filter(|r| r.status != Status::Ineligible).map(|r| item(snapshot, r)).collect();
    // Stable: the report is already best first within a status.
    items.sort_by_key(|i| rank(i.status));

    // One counted document per support: the best status, then the largest known amount.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (idx, it) in items.iter().enumerate() {
        groups.entry(support_of(snapshot, &it.slug)).or_default().push(idx);
    }
    for members in groups.values().filter(|m| m.len() > 1) {
        let best = members.iter().copied().min_by(|&a, &b| {
            let key = |i: usize| (rank(items[i].status), items[i].amount_wan.is_none());
            key(a).cmp(&key(b)).then_with(|| {
                let (x, y) = (items[a].amount_wan.unwrap_or(0.0), items[b].amount_wan.unwrap_or(0.0));
                y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal)
            })
        });
        if let Some(best) = best {
            let title = items[best].title.clone();
            for &m in members.iter().filter(|&&m| m != best) {
                items[m].counted = false;
                items[m].same_as = Some(title.clone());
            }
        }
    }

    let tally = |s: Status| {
        let of: Vec<&Item> = items.iter().filter(|i| i.status == s).collect();
        let sum: f64 = of.iter().filter(|i| i.counted).filter_map(|i| i.amount_wan).sum();
        Tally { policies: of.len(), amount_wan: round2(sum) }
    };
    let (eligible, possible, near_miss) = (tally(Status::Eligible), tally(Status::Possible), tally(Status::NearMiss));

    let (questions, more_questions) = questions(report, &items);

    let mut team: BTreeMap<&str, usize> = BTreeMap::new();
    for it in &items {
        *team.entry(it.department.as_str()).or_default() += 1;
    }
    let mut team: Vec<Department> =
        team.into_iter().map(|(name, policies)| Department { name: name.to_string(), policies, enterprises: 1 }).collect();
    team.sort_by(|a, b| b.policies.cmp(&a.policies).then_with(|| a.name.cmp(&b.name)));

    let mut materials: Vec<Material> = Vec::new();
    for it in items.iter().filter(|i| matches!(i.status, Status::Eligible | Status::Possible)) {
        for m in &it.materials {
            match materials.iter_mut().find(|x| &x.text == m) {
                Some(x) => x.policies.push(it.title.clone()),
                None => materials.push(Material { text: m.clone(), policies: vec![it.title.clone()] }),
            }
        }
    }

    EnterpriseBrief {
        identity: identity.clone(),
        items,
        questions,
        more_questions,
        team,
        eligible,
        possible,
        near_miss,
        materials,
        requests: Vec::new(),
    }
}

/// The distinct missing facts of the `possible` policies, ranked by the amount they could unlock,
/// then by the number of policies they settle, then by first appearance; the top
/// [`MAX_QUESTIONS`] and how many more there are.
fn questions(report: &MatchReport, items: &[Item]) -> (Vec<Question>, usize) {
    let mut out: Vec<Question> = Vec::new();
    for r in report.results.iter().filter(|r| r.status == Status::Possible) {
        let Some(it) = items.iter().find(|i| i.slug == r.policy) else { continue };
        let amount = if it.counted { it.amount_wan.unwrap_or(0.0) } else { 0.0 };
        for m in &r.missing {
            match out.iter_mut().find(|q| q.field == m.field) {
                Some(q) => {
                    q.policies.push(it.title.clone());
                    q.unlocks_wan += amount;
                }
                None => out.push(Question {
                    field: m.field.clone(),
                    question: m.question.clone(),
                    policies: vec![it.title.clone()],
                    unlocks_wan: amount,
                }),
            }
        }
    }
    for q in &mut out {
        q.unlocks_wan = round2(q.unlocks_wan);
    }
    // Stable sort: ties keep the order of first appearance (best policy first, schema order).
    out.sort_by(|a, b| {
        b.unlocks_wan
            .partial_cmp(&a.unlocks_wan)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| b.policies.len().cmp(&a.policies.len()))
    });
    let more = out.len().saturating_sub(MAX_QUESTIONS);
    out.truncate(MAX_QUESTIONS);
    (out, more)
}

fn totals(briefs: &[EnterpriseBrief]) -> Totals {
    let add = |f: fn(&EnterpriseBrief) -> Tally| {
        let policies = briefs.iter().map(|e| f(e).policies).sum();
        let amount: f64 = briefs.iter().map(|e| f(e).amount_wan).sum();
        Tally { policies, amount_wan: round2(amount) }
    };
    let mut depts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for e in briefs {
        for d in &e.team {
            let entry = depts.entry(d.name.as_str()).or_default();
            entry.0 += d.policies;
            entry.1 += 1;
        }
    }
    let mut departments: Vec<Department> = depts
        .into_iter()
        .map(|(name, (policies, enterprises))| Department { name: name.to_string(), policies, enterprises })
        .collect();
    departments.sort_by(|a, b| b.enterprises.cmp(&a.enterprises).then(b.policies.cmp(&a.policies)).then(a.name.cmp(&b.name)));
    Totals {
        enterprises: briefs.len(),
        with_eligible: briefs.iter().filter(|e| e.eligible.policies > 0).count(),
        eligible: add(|e| e.eligible),
        possible: add(|e| e.possible),
        near_miss: add(|e| e.near_miss),
        questions: briefs.iter().map(|e| e.questions.len() + e.more_questions).sum(),
        departments,
    }
}

fn policy_counts(briefs: &[EnterpriseBrief]) -> Vec<PolicyCount> {
    let mut by: BTreeMap<&str, PolicyCount> = BTreeMap::new();
    for it in briefs.iter().flat_map(|e| &e.items) {
        let c = by.entry(it.slug.as_str()).or_insert_with(|| PolicyCount {
            slug: it.slug.clone(),
            title: it.title.clone(),
            department: it.department.clone(),
            eligible: 0,
            possible: 0,
            near_miss: 0,
            eligible_wan: 0.0,
            marks: it.marks.clone(),
        });
        match it.status {
            Status::Eligible => {
                c.eligible += 1;
                if it.counted {
                    c.eligible_wan += it.amount_wan.unwrap_or(0.0);
                }
            }
            Status::Possible => c.possible += 1,
            Status::NearMiss => c.near_miss += 1,
            Status::Ineligible => {}
        }
    }
    let mut out: Vec<PolicyCount> = by.into_values().collect();
    for c in &mut out {
        c.eligible_wan = round2(c.eligible_wan);
    }
    out.sort_by(|a, b| {
        (b.eligible, b.possible, b.near_miss).cmp(&(a.eligible, a.possible, a.near_miss)).then_with(|| a.slug.cmp(&b.slug))
    });
    out
}

//! Enterprise requests (诉求) and their closed loop: 企业点单、党委派单、部门办单、回访评单.
//!
//! A request has a [`Category`] (which maps to profile dimensions and a default department), a
//! [`Source`] (how it came in) and a [`State`]. [`apply`] is the one state machine: given the
//! request as it stands, who acts ([`Actor`]), what they do ([`Action`]) and the date, it says
//! the next state or refuses with a Chinese reason ([`Refusal`]). The loop:
//!
//! ```text
//! submitted ──dispatch (dispatcher)──▶ dispatched ──start (department)──▶ in_progress
//!     ▲                                                                      │
//!     │ reopened ◀──rate 不满意, first time (enterprise or visiting officer)── handled ◀──handle (department)
//!     └──dispatch again                                                      │
//!                                        rated ◀──rate (满意/基本满意, or 不满意 a second time)
//! ```
//!
//! Pure: no IO, no clock. Dates are passed in; [`figures`] turns stored requests into the
//! county's monthly figures.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::Date;
use crate::policy::Dimension;

/// What a request is about. Each maps to profile dimensions (for policy linkage) and a default
/// department (the dispatcher may choose another).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 用工: recruiting, training, social insurance.
    Employment,
    /// 融资: loans, guarantees, credit.
    Finance,
    /// 技改: technical upgrade, equipment.
    Upgrade,
    /// 数字化: digital transformation.
    Digital,
    /// 税费: taxes and fees.
    Tax,
    /// 其他.
    Other,
}

impl Category {
    /// Every category, in display order.
    pub const ALL: [Category; 6] =
        [Category::Employment, Category::Finance, Category::Upgrade, Category::Digital, Category::Tax, Category::Other];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Employment => "employment",
            Category::Finance => "finance",
            Category::Upgrade => "upgrade",
            Category::Digital => "digital",
            Category::Tax => "tax",
            Category::Other => "other",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Category::Employment => "用工",
            Category::Finance => "融资",
            Category::Upgrade => "技改",
            Category::Digital => "数字化",
            Category::Tax => "税费",
            Category::Other => "其他",
        }
    }

    /// The policy dimensions this category is about.
    pub fn dimensions(self) -> &'static [Dimension] {
        match self {
            Category::Employment => &[Dimension::Employment],
            Category::Finance => &[Dimension::Financing],
            Category::Upgrade => &[Dimension::Technology],
            Category::Digital => &[Dimension::Digital],
            Category::Tax => &[Dimension::Tax],
            Category::Other => &[],
        }
    }

    /// The department that usually handles it (`None`: the dispatcher decides).
    pub fn department(self) -> Option<&'static str> {
        match self {
            Category::Employment => Some("人力资源和社会保障局"),
            Category::Finance => Some("地方金融监督管理局"),
            Category::Upgrade | Category::Digital => Some("工业和信息化局"),
            Category::Tax => Some("税务局"),
            Category::Other => None,
        }
    }

    /// Parses the text form or the Chinese label.
    pub fn parse(s: &str) -> Option<Category> {
        let s = s.trim();
        Category::ALL.into_iter().find(|c| c.as_str() == s || c.label() == s)
    }
}

/// How a request came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The enterprise itself, on the web.
    Web,
    /// Through its chamber of commerce (商会).
    Chamber,
    /// Collected on a visit and entered by the officer.
    Visit,
    /// Imported from a list.
    Import,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 4] = [Source::Web, Source::Chamber, Source::Visit, Source::Import];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Chamber => "chamber",
            Source::Visit => "visit",
            Source::Import => "import",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Source::Web => "企业网上提交",
            Source::Chamber => "商会转交",
            Source::Visit => "走访收集",
            Source::Import => "批量导入",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// Where a request stands in the loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 待派单: recorded, waiting for a dispatcher.
    Submitted,
    /// 已派单: sent to a department with a due date.
    Dispatched,
    /// 办理中: the department took it on.
    InProgress,
    /// 已办结: the department says what was done; waiting for the rating.
    Handled,
    /// 已评价: closed with a rating.
    Rated,
    /// 已重开: rated 不满意 once, back with the dispatcher.
    Reopened,
}

impl State {
    /// Every state.
    pub const ALL: [State; 6] =
        [State::Submitted, State::Dispatched, State::InProgress, State::Handled, State::Rated, State::Reopened];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Submitted => "submitted",
            State::Dispatched => "dispatched",
            State::InProgress => "in_progress",
            State::Handled => "handled",
            State::Rated => "rated",
            State::Reopened => "reopened",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            State::Submitted => "待派单",
            State::Dispatched => "已派单",
            State::InProgress => "办理中",
            State::Handled => "已办结待评价",
            State::Rated => "已评价",
            State::Reopened => "不满意已重开",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// Not closed yet (everything but [`State::Rated`]).
    pub fn is_open(self) -> bool {
        self != State::Rated
    }

    /// With a department and a due date running (overdue is possible).
    pub fn is_with_department(self) -> bool {
        matches!(self, State::Dispatched | State::InProgress)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How the enterprise (or the follow-up visit) rated the handling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 满意.
    Satisfied,
    /// 基本满意.
    Partly,
    /// 不满意.
    Unsatisfied,
}

impl Rating {
    /// Every rating.
    pub const ALL: [Rating; 3] = [Rating::Satisfied, Rating::Partly, Rating::Unsatisfied];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Partly => "partly",
            Rating::Unsatisfied => "unsatisfied",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::Partly => "基本满意",
            Rating::Unsatisfied => "不满意",
        }
    }

    /// Parses the text form or the Chinese label.
    pub fn parse(s: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|c| c.as_str() == s.trim() || c.label() == s.trim())
    }

    /// 满意 or 基本满意.
    pub fn is_satisfied(self) -> bool {
        self != Rating::Unsatisfied
    }
}

/// Who acts on a request, as the loop sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor<'a> {
    /// The enterprise account the request belongs to.
    OwnEnterprise,
    /// Another enterprise's account.
    OtherEnterprise,
    /// A staff member (officer or admin): whether they may dispatch, and their department.
    Staff {
        /// Holds the dispatch permission (the committee that assigns requests).
        dispatcher: bool,
        /// The department they work for, if any.
        department: Option<&'a str>,
    },
}

impl Actor<'_> {
    /// Chinese description, for refusals.
    pub fn label(&self) -> String {
        match self {
            Actor::OwnEnterprise => "企业本身".into(),
            Actor::OtherEnterprise => "其他企业".into(),
            Actor::Staff { dispatcher: true, .. } => "派单人".into(),
            Actor::Staff { department: Some(d), .. } => format!("{d}工作人员"),
            Actor::Staff { .. } => "工作人员".into(),
        }
    }
}

/// What someone does to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// 派单: to `department`, due on `due`.
    Dispatch {
        /// The handling department.
        department: String,
        /// The day it must be handled by.
        due: Date,
    },
    /// 开始办理 (the department takes it on).
    Start,
    /// 办结: what was done and, where money was involved, the amount in fen (分).
    Handle {
        /// What was done.
        note: String,
        /// Money involved, in fen.
        amount_fen: Option<i64>,
    },
    /// 评价.
    Rate {
        /// The rating.
        rating: Rating,
        /// A comment (may be empty).
        comment: String,
    },
}

impl Action {
    /// The stable name (audit log, event history).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Dispatch { .. } => "dispatch",
            Action::Start => "start",
            Action::Handle { .. } => "handle",
            Action::Rate { .. } => "rate",
        }
    }

    /// The Chinese label.
    pub fn label(&self) -> &'static str {
        match self {
            Action::Dispatch { .. } => "派单",
            Action::Start => "开始办理",
            Action::Handle { .. } => "办结",
            Action::Rate { .. } => "评价",
        }
    }
}

/// The part of a request the loop decides on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing<'a> {
    /// Current state.
    pub state: State,
    /// The handling department, once dispatched.
    pub department: Option<&'a str>,
    /// How many times it was reopened (at most once).
    pub reopened: u32,
}

/// A transition the loop allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
    /// Reopen count after.
    pub reopened: u32,
}

/// Why a transition is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The actor may not do this (wrong role or department).
    Role(String),
    /// The request is not in a state that allows it (a step skipped or done already).
    State(String),
    /// The action's own input is wrong (a field named).
    Input {
        /// The field.
        field: &'static str,
        /// What is wrong, in Chinese.
        message: String,
    },
}

impl Refusal {
    /// The Chinese message.
    pub fn message(&self) -> &str {
        match self {
            Refusal::Role(m) | Refusal::State(m) => m,
            Refusal::Input { message, .. } => message,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// The longest text of a request, a handling note or a comment, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// Checks a free text: `required` ones may not be empty; none may exceed [`MAX_TEXT_CHARS`].
pub fn check_text(field: &'static str, label: &str, text: &str, required: bool) -> Result<(), Refusal> {
    if required && text.trim().is_empty() {
        return Err(Refusal::Input { field, message: format!("请填写{label}") });
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Refusal::Input { field, message: format!("{label}不能超过 {MAX_TEXT_CHARS} 个字") });
    }
    Ok(())
}

/// What must happen next, in Chinese, for a refusal that names the missing step.
fn next_step(s: State) -> &'static str {
    match s {
        State::Submitted | State::Reopened => "须先由派单人派单",
        State::Dispatched => "须先由承办部门开始办理",
        State::InProgress => "须先由承办部门办结",
        State::Handled => "等待企业或回访人员评价",
        State::Rated => "诉求已评价办结，不能再变更",
    }
}

/// The one state machine: the transition `action` by `actor` on `req` on `today`, or why not.
pub fn apply(req: Standing<'_>, actor: Actor<'_>, action: &Action, today: Date) -> Result<Transition, Refusal> {
    let from = req.state;
    let wrong_state = || Refusal::State(format!("诉求当前为“{}”，不能{}：{}", from.label(), action.label(), next_step(from)));
    let in_department = |a: Actor<'_>| match (a, req.department) {
        (Actor::Staff { department: Some(mine), .. }, Some(theirs)) => mine == theirs,
        _ => false,
    };
    let to = match action {
        Action::Dispatch { department, due } => {
            if !matches!(actor, Actor::Staff { dispatcher: true, .. }) {
                return Err(Refusal::Role(format!("只有有派单权限的工作人员可以派单（当前为{}）", actor.label())));
            }
            if !matches!(from, State::Submitted | State::Reopened) {
                return Err(wrong_state());
            }
            if department.trim().is_empty() {
                return Err(Refusal::Input { field: "department", message: "请选择承办部门".into() });
            }
            if *due < today {
                return Err(Refusal::Input { field: "due", message: format!("办理时限 {due} 早于今天 {today}") });
            }
            State::Dispatched
        }
        Action::Start | Action::Handle { .. } => {
            if req.department.is_none() {
                return Err(wrong_state());
            }
            if !in_department(actor) {
                let dept = req.department.unwrap_or("承办部门");
                return Err(Refusal::Role(format!("只有{dept}的工作人员可以{}（当前为{}）", action.label(), actor.label())));
            }
            match (action, from) {
                (Action::Start, State::Dispatched) => State::InProgress,
                (Action::Handle { note, amount_fen }, State::InProgress) => {
                    check_text("note", "办理情况", note, true)?;
                    if amount_fen.is_some_and(|a| a < 0) {
                        return Err(Refusal::Input { field: "amount", message: "涉及金额不能为负数".into() });
                    }
                    State::Handled
                }
                _ => return Err(wrong_state()),
            }
        }
        Action::Rate { rating, comment } => {
            let may = match actor {
                Actor::OwnEnterprise => true,
                Actor::OtherEnterprise => false,
                Actor::Staff { .. } => !in_department(actor),
            };
            if !may {
                return Err(Refusal::Role(format!(
                    "只有提出诉求的企业或回访人员可以评价，承办部门不能自评（当前为{}）",
                    actor.label()
                )));
            }
            if from != State::Handled {
                return Err(wrong_state());
            }
            check_text("comment", "评价意见", comment, *rating == Rating::Unsatisfied)?;
            if *rating == Rating::Unsatisfied && req.reopened == 0 {
                return Ok(Transition { from, to: State::Reopened, reopened: 1 });
            }
            State::Rated
        }
    };
    Ok(Transition { from, to, reopened: req.reopened })
}

/// Whether a request with a department and due date is overdue on `today`.
pub fn is_overdue(state: State, due: Option<Date>, today: Date) -> bool {
    state.is_with_department() && due.is_some_and(|d| today > d)
}

/// A stored request as the figures read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// Category.
    pub category: Category,
    /// State now.
    pub state: State,
    /// The handling department (the last one dispatched to).
    pub department: Option<String>,
    /// Recorded on.
    pub created: Date,
    /// First dispatched on.
    pub dispatched: Option<Date>,
    /// Due date (the last one set).
    pub due: Option<Date>,
    /// First handled on.
    pub handled: Option<Date>,
    /// The final rating (or the last one).
    pub rating: Option<Rating>,
    /// Reopened (0 or 1).
    pub reopened: u32,
}

/// Figures of one department in one month (of dispatch).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MonthFigures {
    /// Requests dispatched to it that month.
    pub received: u32,
    /// Of those, handled (first time) by the due date.
    pub on_time: u32,
    /// Of those, handled at all.
    pub handled: u32,
    /// Median days from dispatch to handling, of those handled.
    pub median_days: Option<f64>,
    /// Ratings given.
    pub rated: u32,
    /// Of those, 满意 or 基本满意.
    pub satisfied: u32,
    /// Reopened after 不满意.
    pub reopened: u32,
}

impl MonthFigures {
    /// Share handled on time of those received, 0–100.
    pub fn on_time_pct(&self) -> Option<f64> {
        (self.received > 0).then(|| f64::from(self.on_time) * 100.0 / f64::from(self.received))
    }

    /// Share satisfied of those rated, 0–100.
    pub fn satisfaction_pct(&self) -> Option<f64> {
        (self.rated > 0).then(|| f64::from(self.satisfied) * 100.0 / f64::from(self.rated))
    }
}

/// The county's figures: per (department, month `YYYY-MM`) and per category.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Per department, per month (of dispatch).
    pub by_department: BTreeMap<String, BTreeMap<String, MonthFigures>>,
    /// Per month, every department together.
    pub by_month: BTreeMap<String, MonthFigures>,
    /// Requests per category (all requests recorded).
    pub by_category: BTreeMap<Category, u32>,
    /// Requests recorded, in total.
    pub total: u32,
    /// Requests not yet dispatched.
    pub waiting: u32,
}

/// `YYYY-MM` of a date.
pub fn month_of(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn median(mut v: Vec<i64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] as f64 } else { (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0 })
}

/// Computes the figures of `requests`.
pub fn figures(requests: &[Facts]) -> Figures {
    let mut out = Figures::default();
    let mut days: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    let mut all_days: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in requests {
        out.total += 1;
        *out.by_category.entry(r.category).or_default() += 1;
        let (Some(dept), Some(dispatched)) = (&r.department, r.dispatched) else {
            out.waiting += 1;
            continue;
        };
        let month = month_of(dispatched);
        tally(out.by_department.entry(dept.clone()).or_default().entry(month.clone()).or_default(), r);
        tally(out.by_month.entry(month.clone()).or_default(), r);
        if let Some(h) = r.handled {
            let d = h.days_since_epoch() - dispatched.days_since_epoch();
            days.entry((dept.clone(), month.clone())).or_default().push(d);
            all_days.entry(month).or_default().push(d);
        }
    }
    for ((dept, month), v) in days {
        if let Some(m) = out.by_department.get_mut(&dept).and_then(|d| d.get_mut(&month)) {
            m.median_days = median(v);
        }
    }
    for (month, v) in all_days {
        if let Some(m) = out.by_month.get_mut(&month) {
            m.median_days = median(v);
        }
    }
    out
}

fn tally(m: &mut MonthFigures, r: &Facts) {
    m.received += 1;
    if let Some(h) = r.handled {
        m.handled += 1;
        if r.due.is_some_and(|due| h <= due) {
            m.on_time += 1;
        }
    }
    if let Some(rating) = r.rating {
        m.rated += 1;
        if rating.is_satisfied() {
            m.satisfied += 1;
        }
    }
    if r.reopened > 0 {
        m.reopened += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPT: &str = "人力资源和社会保障局";

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn actors() -> Vec<(&'static str, Actor<'static>)> {
        vec![
            ("own enterprise", Actor::OwnEnterprise),
            ("other enterprise", Actor::OtherEnterprise),
            ("dispatcher", Actor::Staff { dispatcher: true, department: None }),
            ("dispatcher in the department", Actor::Staff { dispatcher: true, department: Some(DEPT) }),
            ("department officer", Actor::Staff { dispatcher: false, department: Some(DEPT) }),
            ("other department", Actor::Staff { dispatcher: false, department: Some("税务局") }),
            ("plain officer", Actor::Staff { dispatcher: false, department: None }),
        ]
    }

    fn actions() -> Vec<Action> {
        vec![
            Action::Dispatch { department: DEPT.into(), due: d("2026-07-01") },
            Action::Start,
            Action::Handle { note: "已对接两家高校招聘会".into(), amount_fen: Some(1_000_000) },
            Action::Rate { rating: Rating::Satisfied, comment: String::new() },
            Action::Rate { rating: Rating::Partly, comment: "还行".into() },
            Action::Rate { rating: Rating::Unsatisfied, comment: "没解决".into() },
        ]
    }

    /// The expected outcome, written out per rule of the issue (independently of `apply`).
    fn expected(state: State, reopened: u32, actor: Actor<'_>, action: &Action) -> Result<State, &'static str> {
        let dispatcher = matches!(actor, Actor::Staff { dispatcher: true, .. });
        // Before the first dispatch the request has no department, so nobody is "in" it.
        let in_dept = state != State::Submitted && matches!(actor, Actor::Staff { department: Some(DEPT), .. });
        match action {
            Action::Dispatch { .. } if !dispatcher => Err("role"),
            Action::Dispatch { .. } if matches!(state, State::Submitted | State::Reopened) => Ok(State::Dispatched),
            Action::Start | Action::Handle { .. } if state == State::Submitted => Err("state"),
            Action::Start | Action::Handle { .. } if !in_dept => Err("role"),
            Action::Start if state == State::Dispatched => Ok(State::InProgress),
            Action::Handle { .. } if state == State::InProgress => Ok(State::Handled),
            Action::Rate { .. } if matches!(actor, Actor::OtherEnterprise) || in_dept => Err("role"),
            Action::Rate { rating: Rating::Unsatisfied, .. } if state == State::Handled && reopened == 0 => Ok(State::Reopened),
            Action::Rate { .. } if state == State::Handled => Ok(State::Rated),
            _ => Err("state"),
        }
    }

    #[test]
    fn every_state_action_and_actor() {
        let today = d("2026-06-01");
        let mut allowed = 0;
        let mut refused = 0;
        for state in State::ALL {
            for reopened in [0, 1] {
                let department = (!matches!(state, State::Submitted)).then_some(DEPT);
                let req = Standing { state, department, reopened };
                for (who, actor) in actors() {
                    for action in actions() {
                        let got = apply(req, actor, &action, today);
                        let want = expected(state, reopened, actor, &action);
                        match (&got, want) {
                            (Ok(t), Ok(to)) => {
                                assert_eq!((t.from, t.to), (state, to), "{who} {action:?} on {state:?}");
                                let more = u32::from(to == State::Reopened);
                                assert_eq!(t.reopened, reopened + more);
                                allowed += 1;
                            }
                            (Err(Refusal::Role(m)), Err("role")) => {
                                assert!(m.contains("只有"), "{m}");
                                refused += 1;
                            }
                            (Err(Refusal::State(m)), Err("state")) => {
                                assert!(m.contains(state.label()) && m.contains(action.label()), "{m}");
                                refused += 1;
                            }
                            _ => panic!("{who} {action:?} on {state:?}/{reopened}: got {got:?}, want {want:?}"),
                        }
                    }
                }
            }
        }
        assert_eq!(allowed + refused, 6 * 2 * 7 * 6);
        // Dispatch: 2 dispatchers × (submitted, reopened) × 2 reopen counts; start and handle: 2
        // department members × 2; rate: 4 raters × 3 ratings × 2.
        assert_eq!(allowed, 8 + 4 + 4 + 24);
    }

    #[test]
    fn the_whole_loop_reopens_once_then_closes() {
        let today = d("2026-06-01");
        let dispatcher = Actor::Staff { dispatcher: true, department: None };
        let dept = Actor::Staff { dispatcher: false, department: Some(DEPT) };
        let mut s = Standing { state: State::Submitted, department: None, reopened: 0 };
        let step = |s: &mut Standing<'_>, actor, action: Action| {
            let t = apply(*s, actor, &action, today).expect("allowed");
            s.state = t.to;
            s.reopened = t.reopened;
            if matches!(action, Action::Dispatch { .. }) {
                s.department = Some(DEPT);
            }
            t.to
        };
        let dispatch = || Action::Dispatch { department: DEPT.into(), due: d("2026-06-15") };
        let handle = || Action::Handle { note: "已协调".into(), amount_fen: None };
        let unhappy = || Action::Rate { rating: Rating::Unsatisfied, comment: "仍未到账".into() };
        assert_eq!(step(&mut s, dispatcher, dispatch()), State::Dispatched);
        assert_eq!(step(&mut s, dept, Action::Start), State::InProgress);
        assert_eq!(step(&mut s, dept, handle()), State::Handled);
        assert_eq!(step(&mut s, Actor::OwnEnterprise, unhappy()), State::Reopened);
        assert_eq!(step(&mut s, dispatcher, dispatch()), State::Dispatched);
        assert_eq!(step(&mut s, dept, Action::Start), State::InProgress);
        assert_eq!(step(&mut s, dept, handle()), State::Handled);
        // The second 不满意 closes it: reopened once only.
        assert_eq!(step(&mut s, Actor::OwnEnterprise, unhappy()), State::Rated);
        assert_eq!(s.reopened, 1);
    }

    #[test]
    fn refusals_name_the_field_or_the_missing_step() {
        let today = d("2026-06-01");
        let dispatcher = Actor::Staff { dispatcher: true, department: None };
        let dept = Actor::Staff { dispatcher: false, department: Some(DEPT) };
        let submitted = Standing { state: State::Submitted, department: None, reopened: 0 };
        let past = Action::Dispatch { department: DEPT.into(), due: d("2026-05-31") };
        assert!(matches!(apply(submitted, dispatcher, &past, today), Err(Refusal::Input { field: "due", .. })));
        let nowhere = Action::Dispatch { department: " ".into(), due: today };
        assert!(matches!(apply(submitted, dispatcher, &nowhere, today), Err(Refusal::Input { field: "department", .. })));
        let in_progress = Standing { state: State::InProgress, department: Some(DEPT), reopened: 0 };
        let empty = Action::Handle { note: " ".into(), amount_fen: None };
        assert!(matches!(apply(in_progress, dept, &empty, today), Err(Refusal::Input { field: "note", .. })));
        let negative = Action::Handle { note: "x".into(), amount_fen: Some(-1) };
        assert!(matches!(apply(in_progress, dept, &negative, today), Err(Refusal::Input { field: "amount", .. })));
        let handled = Standing { state: State::Handled, department: Some(DEPT), reopened: 0 };
        let silent = Action::Rate { rating: Rating::Unsatisfied, comment: String::new() };
        assert!(matches!(apply(handled, Actor::OwnEnterprise, &silent, today), Err(Refusal::Input { field: "comment", .. })));
        // Skipping a step says which step is missing.
        let dispatched = Standing { state: State::Dispatched, department: Some(DEPT), reopened: 0 };
        let skip = apply(dispatched, dept, &Action::Handle { note: "x".into(), amount_fen: None }, today).unwrap_err();
        assert_eq!(skip.message(), "诉求当前为“已派单”，不能办结：须先由承办部门开始办理");
    }

    #[test]
    fn overdue_and_figures() {
        let today = d("2026-06-10");
        assert!(is_overdue(State::Dispatched, Some(d("2026-06-09")), today));
        assert!(!is_overdue(State::Dispatched, Some(today), today));
        assert!(!is_overdue(State::Handled, Some(d("2026-06-01")), today));
        let base = Facts {
            category: Category::Employment,
            state: State::Rated,
            department: Some(DEPT.into()),
            created: d("2026-05-01"),
            dispatched: Some(d("2026-05-02")),
            due: Some(d("2026-05-12")),
            handled: Some(d("2026-05-06")),
            rating: Some(Rating::Satisfied),
            reopened: 0,
        };
        let late = Facts { handled: Some(d("2026-05-20")), rating: Some(Rating::Unsatisfied), reopened: 1, ..base.clone() };
        let open = Facts { state: State::InProgress, handled: None, rating: None, category: Category::Finance, ..base.clone() };
        let waiting = Facts {
            state: State::Submitted,
            department: None,
            dispatched: None,
            due: None,
            handled: None,
            rating: None,
            ..base.clone()
        };
        let f = figures(&[base, late, open, waiting]);
        let m = &f.by_department[DEPT]["2026-05"];
        assert_eq!((m.received, m.on_time, m.handled, m.rated, m.satisfied, m.reopened), (3, 1, 2, 2, 1, 1));
        assert_eq!(m.median_days, Some(11.0)); // 4 and 18 days
        assert_eq!(m.on_time_pct().map(f64::round), Some(33.0));
        assert_eq!(m.satisfaction_pct(), Some(50.0));
        assert_eq!((f.total, f.waiting), (4, 1));
        assert_eq!(f.by_category[&Category::Employment], 3);
        assert_eq!(f.by_month["2026-05"].received, 3);
        assert_eq!(Category::parse("融资"), Some(Category::Finance));
        assert_eq!(Category::parse("finance"), Some(Category::Finance));
        assert_eq!(Rating::parse("基本满意"), Some(Rating::Partly));
    }
}

//! Enterprise requests (诉求) and their closed loop (migration 5, `migrations/0005_requests.sql`).
//!
//! The loop's rules are the model's pure state machine ([`zhengce_model::request::apply`]); this
//! module stores its outcome. A transition reads the request, applies the rule and writes the new
//! row, an event in `request_events` and an entry in the audit log in one transaction; the update
//! is guarded by the state it was decided on, so two officers acting at once cannot both win.
//!
//! Overdue requests are escalated to their dispatcher once per (request, due date) through the
//! push outbox ([`Store::escalate_overdue`]): a `request_overdue` notification on every enabled
//! officers' channel (`owner_kind = town`, for `*` or the enterprise's town), delivered by the
//! push workers like every other message, and listed for officers ([`Store::escalations`]).
//!
//! Optional columns are written as a literal NULL, never bound as a typed NULL.

use serde_json::{Value, json};
use sqlx::{Any, AnyConnection, AssertSqlSafe, Row as _};
use zhengce_model::Date;
use zhengce_model::request::{self as rq, Action, Actor, Category, Facts, Rating, Refusal, Source, Standing, State, Transition};

use crate::audit::append_in;
use crate::push::NewNotification;
use crate::{Store, StoreError};

/// A request to record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRequest {
    /// The enterprise (统一社会信用代码).
    pub credit_code: String,
    /// Category.
    pub category: Category,
    /// What the enterprise needs, in its words.
    pub text: String,
    /// A policy it is about (slug), if any.
    pub policy: Option<String>,
    /// How it came in.
    pub source: Source,
}

/// A stored request with its enterprise's name, town and chamber.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRow {
    /// Number.
    pub id: i64,
    /// The enterprise.
    pub credit_code: String,
    /// Its name, when known.
    pub enterprise_name: Option<String>,
    /// Its town.
    pub town: Option<String>,
    /// Its chamber.
    pub chamber: Option<String>,
    /// Category.
    pub category: Category,
    /// The request in the enterprise's words.
    pub text: String,
    /// The policy it is about.
    pub policy: Option<String>,
    /// How it came in.
    pub source: Source,
    /// Where it stands.
    pub state: State,
    /// The handling department (after the first dispatch).
    pub department: Option<String>,
    /// Due date.
    pub due: Option<Date>,
    /// Who dispatched it last (actor string): escalations go to them.
    pub dispatcher: Option<String>,
    /// What the department did.
    pub handled_note: Option<String>,
    /// Money involved, in fen.
    pub amount_fen: Option<i64>,
    /// The last rating.
    pub rating: Option<Rating>,
    /// The last rating's comment.
    pub rating_comment: Option<String>,
    /// Reopened (0 or 1).
    pub reopened: u32,
    /// Generated demo data.
    pub demo: bool,
    /// Who recorded it.
    pub created_by: String,
    /// When (Unix ms).
    pub created_at: i64,
    /// On which day.
    pub created_on: Date,
    /// First dispatched on.
    pub dispatched_on: Option<Date>,
    /// First handled on.
    pub handled_on: Option<Date>,
    /// Last rated on.
    pub rated_on: Option<Date>,
}

impl RequestRow {
    /// What the state machine decides on.
    pub fn standing(&self) -> Standing<'_> {
        Standing { state: self.state, department: self.department.as_deref(), reopened: self.reopened }
    }

    /// What the figures read.
    pub fn facts(&self) -> Facts {
        Facts {
            category: self.category,
            state: self.state,
            department: self.department.clone(),
            created: self.created_on,
            dispatched: self.dispatched_on,
            due: self.due,
            handled: self.handled_on,
            rating: self.rating,
            reopened: self.reopened,
        }
    }

    /// Whether it is overdue on `today`.
    pub fn overdue(&self, today: Date) -> bool {
        rq::is_overdue(self.state, self.due, today)
    }

    /// Applies an allowed transition to the row in memory (the facts each step leaves).
    fn step(&mut self, t: Transition, action: &Action, actor_name: &str, on: Date) {
        self.state = t.to;
        self.reopened = t.reopened;
        match action {
            Action::Dispatch { department, due } => {
                self.department = Some(department.trim().to_string());
                self.due = Some(*due);
                self.dispatcher = Some(actor_name.to_string());
                self.dispatched_on.get_or_insert(on);
            }
            Action::Start => {}
            Action::Handle { note, amount_fen } => {
                self.handled_note = Some(note.trim().to_string());
                self.amount_fen = *amount_fen;
                self.handled_on.get_or_insert(on);
            }
            Action::Rate { rating, comment } => {
                self.rating = Some(*rating);
                self.rating_comment = Some(comment.trim().to_string()).filter(|c| !c.is_empty());
                self.rated_on = Some(on);
            }
        }
    }
}

/// One transition in a request's history.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestEvent {
    /// 1, 2, … per request.
    pub seq: i64,
    /// When (Unix ms).
    pub at_ms: i64,
    /// On which day.
    pub on: String,
    /// Who.
    pub actor: String,
    /// `submit`, `dispatch`, `start`, `handle`, `rate`.
    pub action: String,
    /// State before (`None` for the submission).
    pub from: Option<State>,
    /// State after.
    pub to: State,
    /// What the step said (department, due date, note, amount, rating, comment).
    pub detail: Value,
}

/// Which requests to list. Empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// One enterprise only (always set for an enterprise account).
    pub credit_code: Option<String>,
    /// The enterprise's town.
    pub town: Option<String>,
    /// The enterprise's chamber.
    pub chamber: Option<String>,
    /// The handling department.
    pub department: Option<String>,
    /// Category.
    pub category: Option<Category>,
    /// State.
    pub state: Option<State>,
    /// Only requests not yet closed.
    pub open_only: bool,
    /// Only requests recorded on or before this day (at least so old).
    pub created_by_day: Option<Date>,
    /// Only requests with a department and a due date before this day (overdue on it).
    pub overdue_on: Option<Date>,
}

/// An overdue request escalated to its dispatcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escalation {
    /// The request.
    pub request_id: i64,
    /// The due date it missed.
    pub due: String,
    /// Who it was escalated to.
    pub dispatcher: String,
    /// The department that has it.
    pub department: String,
    /// When it was escalated (day).
    pub on: String,
    /// How many notifications were queued for it (0 when no officers' channel is set up).
    pub queued: i64,
}

/// A request with its whole history, to write at once (demo seasons, imports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The request.
    pub new: NewRequest,
    /// Who recorded it.
    pub by: String,
    /// On which day.
    pub on: Date,
    /// When (Unix ms).
    pub at_ms: i64,
    /// The steps that followed, in order; each is checked by the state machine.
    pub steps: Vec<Step>,
}

/// One step of a [`Recorded`] history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// On which day.
    pub on: Date,
    /// When (Unix ms).
    pub at_ms: i64,
    /// Who (actor string).
    pub actor_name: String,
    /// The enterprise itself (otherwise staff).
    pub enterprise: bool,
    /// Staff with the dispatch permission.
    pub dispatcher: bool,
    /// Staff's department.
    pub department: Option<String>,
    /// What they did.
    pub action: Action,
}

impl Step {
    fn actor(&self) -> Actor<'_> {
        if self.enterprise {
            Actor::OwnEnterprise
        } else {
            Actor::Staff { dispatcher: self.dispatcher, department: self.department.as_deref() }
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn date(s: &str) -> Result<Date, StoreError> {
    s.parse().map_err(corrupt)
}

fn opt_date(s: Option<String>) -> Result<Option<Date>, StoreError> {
    s.as_deref().map(date).transpose()
}

const SELECT: &str = "SELECT r.id, r.credit_code, e.name AS enterprise_name, e.town, e.chamber, r.category, r.text, r.policy, \
     r.source, r.state, r.department, r.due, r.dispatcher, r.handled_note, r.amount_fen, r.rating, r.rating_comment, \
     r.reopened, r.demo, r.created_by, r.created_at, r.created_on, r.dispatched_on, r.handled_on, r.rated_on \
     FROM requests r JOIN enterprises e ON e.credit_code = r.credit_code";

fn row_from(r: &sqlx::any::AnyRow) -> Result<RequestRow, StoreError> {
    let category: String = r.try_get("category")?;
    let source: String = r.try_get("source")?;
    let state: String = r.try_get("state")?;
    let rating: Option<String> = r.try_get("rating")?;
    Ok(RequestRow {
        id: r.try_get("id")?,
        credit_code: r.try_get("credit_code")?,
        enterprise_name: r.try_get("enterprise_name")?,
        town: r.try_get("town")?,
        chamber: r.try_get("chamber")?,
        category: Category::parse(&category).ok_or_else(|| corrupt(format!("category {category}")))?,
        text: r.try_get("text")?,
        policy: r.try_get("policy")?,
        source: Source::parse(&source).ok_or_else(|| corrupt(format!("source {source}")))?,
        state: State::parse(&state).ok_or_else(|| corrupt(format!("state {state}")))?,
        department: r.try_get("department")?,
        due: opt_date(r.try_get("due")?)?,
        dispatcher: r.try_get("dispatcher")?,
        handled_note: r.try_get("handled_note")?,
        amount_fen: r.try_get("amount_fen")?,
        rating: rating.as_deref().map(|s| Rating::parse(s).ok_or_else(|| corrupt(format!("rating {s}")))).transpose()?,
        rating_comment: r.try_get("rating_comment")?,
        reopened: u32::try_from(r.try_get::<i64, _>("reopened")?).map_err(corrupt)?,
        demo: r.try_get::<i64, _>("demo")? != 0,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        created_on: date(&r.try_get::<String, _>("created_on")?)?,
        dispatched_on: opt_date(r.try_get("dispatched_on")?)?,
        handled_on: opt_date(r.try_get("handled_on")?)?,
        rated_on: opt_date(r.try_get("rated_on")?)?,
    })
}

/// A column value; `Null` is written as a literal NULL.
enum Val {
    Text(String),
    Int(i64),
    Null,
}

fn text(v: Option<&str>) -> Val {
    v.map_or(Val::Null, |s| Val::Text(s.to_string()))
}

fn day(v: Option<Date>) -> Val {
    v.map_or(Val::Null, |d| Val::Text(d.to_string()))
}

/// The mutable columns of a row.
fn mutable_cols(r: &RequestRow) -> Vec<(&'static str, Val)> {
    vec![
        ("state", Val::Text(r.state.as_str().into())),
        ("department", text(r.department.as_deref())),
        ("due", day(r.due)),
        ("dispatcher", text(r.dispatcher.as_deref())),
        ("handled_note", text(r.handled_note.as_deref())),
        ("amount_fen", r.amount_fen.map_or(Val::Null, Val::Int)),
        ("rating", text(r.rating.map(Rating::as_str))),
        ("rating_comment", text(r.rating_comment.as_deref())),
        ("reopened", Val::Int(i64::from(r.reopened))),
        ("dispatched_on", day(r.dispatched_on)),
        ("handled_on", day(r.handled_on)),
        ("rated_on", day(r.rated_on)),
    ]
}

/// Binds `vals` after `$start - 1` earlier parameters; returns the SQL for each (a `$n` or `NULL`).
fn placeholders(vals: &[(&'static str, Val)], start: usize) -> Vec<String> {
    let mut n = start;
    vals.iter()
        .map(|(_, v)| match v {
            Val::Null => "NULL".to_string(),
            _ => {
                let p = format!("${n}");
                n += 1;
                p
            }
        })
        .collect()
}

fn bind_vals<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    vals: &[(&'static str, Val)],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    for (_, v) in vals {
        q = match v {
            Val::Text(s) => q.bind(s.clone()),
            Val::Int(i) => q.bind(*i),
            Val::Null => q,
        };
    }
    q
}

async fn insert_row(conn: &mut AnyConnection, r: &RequestRow, at_ms: i64) -> Result<(), StoreError> {
    let mut cols = vec![
        ("id", Val::Int(r.id)),
        ("credit_code", Val::Text(r.credit_code.clone())),
        ("category", Val::Text(r.category.as_str().into())),
        ("text", Val::Text(r.text.clone())),
        ("policy", text(r.policy.as_deref())),
        ("source", Val::Text(r.source.as_str().into())),
        ("demo", Val::Int(i64::from(r.demo))),
        ("created_by", Val::Text(r.created_by.clone())),
        ("created_at", Val::Int(r.created_at)),
        ("created_on", Val::Text(r.created_on.to_string())),
        ("updated_at", Val::Int(at_ms)),
    ];
    cols.extend(mutable_cols(r));
    let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
    let sql = format!("INSERT INTO requests ({}) VALUES ({})", names.join(", "), placeholders(&cols, 1).join(", "));
    bind_vals(sqlx::query::<Any>(AssertSqlSafe(sql)), &cols).execute(&mut *conn).await?;
    Ok(())
}

/// Writes the mutable columns of `r`, only if the stored state is still `from`; false if not.
async fn update_row(conn: &mut AnyConnection, r: &RequestRow, from: State, at_ms: i64) -> Result<bool, StoreError> {
    let mut cols = mutable_cols(r);
    cols.push(("updated_at", Val::Int(at_ms)));
    let ph = placeholders(&cols, 1);
    let bound = cols.iter().filter(|(_, v)| !matches!(v, Val::Null)).count();
    let sets: Vec<String> = cols.iter().zip(&ph).map(|((n, _), p)| format!("{n} = {p}")).collect();
    let sql = format!("UPDATE requests SET {} WHERE id = ${} AND state = ${}", sets.join(", "), bound + 1, bound + 2);
    let q = bind_vals(sqlx::query::<Any>(AssertSqlSafe(sql)), &cols).bind(r.id).bind(from.as_str());
    Ok(q.execute(&mut *conn).await?.rows_affected() == 1)
}

/// Event detail of an action.
fn detail(action: &Action) -> Value {
    match action {
        Action::Dispatch { department, due } => json!({"department": department.trim(), "due": due.to_string()}),
        Action::Start => json!({}),
        Action::Handle { note, amount_fen } => json!({"note": note.trim(), "amount_fen": amount_fen}),
        Action::Rate { rating, comment } => json!({"rating": rating.as_str(), "comment": comment.trim()}),
    }
}

#[allow(clippy::too_many_arguments)]
async fn event(
    conn: &mut AnyConnection,
    id: i64,
    seq: i64,
    at_ms: i64,
    on: Date,
    actor: &str,
    action: &str,
    from: Option<State>,
    to: State,
    detail: &Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO request_events (request_id, seq, at_ms, on_date, actor, action, from_state, to_state, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(seq)
    .bind(at_ms)
    .bind(on.to_string())
    .bind(actor.to_string())
    .bind(action.to_string())
    .bind(from.map_or("", State::as_str))
    .bind(to.as_str())
    .bind(detail.to_string())
    .execute(&mut *conn)
    .await?;
    let mut audit = detail.clone();
    if let Value::Object(m) = &mut audit {
        m.insert("from".into(), json!(from.map(State::as_str)));
        m.insert("to".into(), json!(to.as_str()));
    }
    append_in(conn, at_ms, actor, &format!("request_{action}"), &format!("request:{id}"), &audit).await?;
    Ok(())
}

fn check_new(n: &NewRequest) -> Result<(), StoreError> {
    rq::check_text("text", "诉求内容", &n.text, true).map_err(StoreError::Refused)?;
    if n.policy.as_ref().is_some_and(|p| p.chars().count() > 200) {
        return Err(StoreError::Refused(Refusal::Input { field: "policy", message: "政策标识过长".into() }));
    }
    Ok(())
}

impl Store {
    /// Records requests (several at once, as from a visit) in one transaction: all or none.
    /// Returns their numbers.
    pub async fn add_requests(&self, new: &[NewRequest], actor: &str, on: Date, at_ms: i64) -> Result<Vec<i64>, StoreError> {
        let recorded: Vec<Recorded> =
            new.iter().map(|n| Recorded { new: n.clone(), by: actor.to_string(), on, at_ms, steps: Vec::new() }).collect();
        self.record_requests(&recorded, false).await
    }

    /// Records requests with their whole history in one transaction (every step checked by the
    /// state machine on its day): demo seasons and imports. Returns their numbers.
    pub async fn record_requests(&self, list: &[Recorded], demo: bool) -> Result<Vec<i64>, StoreError> {
        for r in list {
            check_new(&r.new)?;
        }
        let mut tx = self.begin_write().await?;
        let mut ids = Vec::with_capacity(list.len());
        for r in list {
            let known = sqlx::query("SELECT 1 FROM enterprises WHERE credit_code = $1")
                .bind(r.new.credit_code.clone())
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_none() {
                return Err(StoreError::UnknownEnterprise(r.new.credit_code.clone()));
            }
            let id: i64 = sqlx::query("UPDATE counters SET value = value + 1 WHERE name = 'request_id' RETURNING value")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            let mut row = RequestRow {
                id,
                credit_code: r.new.credit_code.clone(),
                enterprise_name: None,
                town: None,
                chamber: None,
                category: r.new.category,
                text: r.new.text.trim().to_string(),
                policy: r.new.policy.clone().filter(|p| !p.trim().is_empty()),
                source: r.new.source,
                state: State::Submitted,
                department: None,
                due: None,
                dispatcher: None,
                handled_note: None,
                amount_fen: None,
                rating: None,
                rating_comment: None,
                reopened: 0,
                demo,
                created_by: r.by.clone(),
                created_at: r.at_ms,
                created_on: r.on,
                dispatched_on: None,
                handled_on: None,
                rated_on: None,
            };
            let submit =
                json!({"category": row.category.as_str(), "source": row.source.as_str(), "policy": row.policy, "demo": demo});
            let mut events = vec![(r.at_ms, r.on, r.by.clone(), "submit", None, State::Submitted, submit)];
            for s in &r.steps {
                let t = rq::apply(row.standing(), s.actor(), &s.action, s.on).map_err(StoreError::Refused)?;
                row.step(t, &s.action, &s.actor_name, s.on);
                events.push((s.at_ms, s.on, s.actor_name.clone(), s.action.name(), Some(t.from), t.to, detail(&s.action)));
            }
            let last_at = events.last().map_or(r.at_ms, |e| e.0);
            insert_row(&mut tx, &row, last_at).await?;
            for (seq, (at, on, actor, action, from, to, d)) in events.iter().enumerate() {
                event(&mut tx, id, seq as i64 + 1, *at, *on, actor, action, *from, *to, d).await?;
            }
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Applies `action` by `actor` (named `actor_name` in the log) to request `id` on `today`:
    /// checked by the state machine, written with its event and audit entry in one transaction.
    pub async fn act_on_request(
        &self,
        id: i64,
        actor: Actor<'_>,
        actor_name: &str,
        action: &Action,
        today: Date,
        at_ms: i64,
    ) -> Result<(RequestRow, Transition), StoreError> {
        let mut tx = self.begin_write().await?;
        let found = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE r.id = $1"))).bind(id).fetch_optional(&mut *tx).await?;
        let Some(found) = found else { return Err(StoreError::Invalid(format!("没有第 {id} 号诉求"))) };
        let mut row = row_from(&found)?;
        let t = rq::apply(row.standing(), actor, action, today).map_err(StoreError::Refused)?;
        row.step(t, action, actor_name, today);
        if !update_row(&mut tx, &row, t.from, at_ms).await? {
            return Err(StoreError::Refused(Refusal::State("诉求刚被他人处理，请刷新后重试".into())));
        }
        let seq: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 FROM request_events WHERE request_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        event(&mut tx, id, seq, at_ms, today, actor_name, action.name(), Some(t.from), t.to, &detail(action)).await?;
        tx.commit().await?;
        Ok((row, t))
    }

    /// One request.
    pub async fn request(&self, id: i64) -> Result<Option<RequestRow>, StoreError> {
        let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE r.id = $1"))).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(row_from).transpose()
    }

    /// Requests matching `filter`, newest first, with the total count before `limit`/`offset`.
    pub async fn requests(&self, filter: &RequestFilter, limit: i64, offset: i64) -> Result<(Vec<RequestRow>, i64), StoreError> {
        let mut conds: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let mut eq = |col: &str, v: Option<String>| {
            if let Some(v) = v {
                binds.push(v);
                conds.push(format!("{col} = ${}", binds.len()));
            }
        };
        eq("r.credit_code", filter.credit_code.clone());
        eq("e.town", filter.town.clone());
        eq("e.chamber", filter.chamber.clone());
        eq("r.department", filter.department.clone());
        eq("r.category", filter.category.map(|c| c.as_str().to_string()));
        eq("r.state", filter.state.map(|s| s.as_str().to_string()));
        if filter.open_only {
            conds.push("r.state <> 'rated'".into());
        }
        if let Some(d) = filter.created_by_day {
            binds.push(d.to_string());
            conds.push(format!("r.created_on <= ${}", binds.len()));
        }
        if let Some(d) = filter.overdue_on {
            binds.push(d.to_string());
            conds.push(format!("r.state IN ('dispatched', 'in_progress') AND r.due < ${}", binds.len()));
        }
        let wh = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        let count_sql = format!("SELECT COUNT(*) FROM requests r JOIN enterprises e ON e.credit_code = r.credit_code{wh}");
        let mut cq = sqlx::query::<Any>(AssertSqlSafe(count_sql));
        for b in &binds {
            cq = cq.bind(b.clone());
        }
        let total: i64 = cq.fetch_one(self.pool()).await?.try_get(0)?;
        let n = binds.len();
        let sql = format!("{SELECT}{wh} ORDER BY r.id DESC LIMIT ${} OFFSET ${}", n + 1, n + 2);
        let mut q = sqlx::query::<Any>(AssertSqlSafe(sql));
        for b in &binds {
            q = q.bind(b.clone());
        }
        let rows = q.bind(limit).bind(offset).fetch_all(self.pool()).await?;
        Ok((rows.iter().map(row_from).collect::<Result<_, _>>()?, total))
    }

    /// The history of request `id`, oldest first.
    pub async fn request_events(&self, id: i64) -> Result<Vec<RequestEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at_ms, on_date, actor, action, from_state, to_state, detail FROM request_events \
             WHERE request_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let from: String = r.try_get("from_state")?;
                let to: String = r.try_get("to_state")?;
                let detail: String = r.try_get("detail")?;
                Ok(RequestEvent {
                    seq: r.try_get("seq")?,
                    at_ms: r.try_get("at_ms")?,
                    on: r.try_get("on_date")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    from: State::parse(&from),
                    to: State::parse(&to).ok_or_else(|| corrupt(format!("state {to}")))?,
                    detail: serde_json::from_str(&detail).map_err(corrupt)?,
                })
            })
            .collect()
    }

    /// Whether any demo requests are stored.
    pub async fn has_demo_requests(&self) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT 1 FROM requests WHERE demo = 1 LIMIT 1").fetch_optional(self.pool()).await?.is_some())
    }

    /// Escalates every request overdue on `today` (with a department, due before today) that was
    /// not escalated for this due date yet: records it and queues a `request_overdue`
    /// notification to the officers' channels in the push outbox, in one transaction. Returns the
    /// new escalations.
    pub async fn escalate_overdue(&self, today: Date, at_ms: i64) -> Result<Vec<Escalation>, StoreError> {
        let mut run = self.begin_push_run(at_ms).await?;
        let sql = format!(
            "{SELECT} WHERE r.state IN ('dispatched', 'in_progress') AND r.due < $1 AND NOT EXISTS \
             (SELECT 1 FROM request_escalations x WHERE x.request_id = r.id AND x.due = r.due) ORDER BY r.id"
        );
        let rows = sqlx::query::<Any>(AssertSqlSafe(sql)).bind(today.to_string()).fetch_all(run.conn()).await?;
        let rows: Vec<RequestRow> = rows.iter().map(row_from).collect::<Result<_, _>>()?;
        if rows.is_empty() {
            run.rollback().await?;
            return Ok(Vec::new());
        }
        let channels: Vec<_> = run.channels_in_run().await?.into_iter().filter(|c| c.enabled && c.owner_kind == "town").collect();
        let run_id = run.id();
        let mut notes = Vec::new();
        let mut out = Vec::new();
        for r in &rows {
            let (Some(due), Some(dept)) = (r.due, r.department.clone()) else { continue };
            let dispatcher = r.dispatcher.clone().unwrap_or_else(|| "派单人".into());
            let name = r.enterprise_name.clone().unwrap_or_else(|| r.credit_code.clone());
            let late = today.days_since_epoch() - due.days_since_epoch();
            let text = format!(
                "【诉求超期】{name}的{}诉求（第 {} 号）应于 {due} 前由{dept}办结，现为“{}”，已超期 {late} 天",
                r.category.label(),
                r.id,
                r.state.label()
            );
            let mine: Vec<_> =
                channels.iter().filter(|c| c.owner == "*" || r.town.as_deref() == Some(c.owner.as_str())).collect();
            for c in &mine {
                let policy = format!("request:{}", r.id);
                notes.push(NewNotification {
                    key: crate::accounts::secret_hash(&format!("{}|{policy}|{due}|{}|request_overdue", r.credit_code, c.name)),
                    credit_code: r.credit_code.clone(),
                    policy,
                    policy_version: due.to_string(),
                    channel: c.name.clone(),
                    kind: "request_overdue".into(),
                    message_id: format!("req-{run_id}-{}-{}", c.name, crate::accounts::secret_hash(&dispatcher)),
                    recipient: format!("dispatch:{dispatcher}"),
                    text: text.clone(),
                    detail: json!({"request": r.id, "enterprise_name": name, "title": format!("第 {} 号诉求", r.id),
                        "department": dept, "due": due.to_string(), "days_late": late}),
                });
            }
            sqlx::query(
                "INSERT INTO request_escalations (request_id, due, dispatcher, department, on_date, at_ms, queued) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(r.id)
            .bind(due.to_string())
            .bind(dispatcher.clone())
            .bind(dept.clone())
            .bind(today.to_string())
            .bind(at_ms)
            .bind(mine.len() as i64)
            .execute(run.conn())
            .await?;
            append_in(
                run.conn(),
                at_ms,
                "system:escalation",
                "request_escalate",
                &format!("request:{}", r.id),
                &json!({"due": due.to_string(), "dispatcher": dispatcher, "department": dept, "queued": mine.len()}),
            )
            .await?;
            out.push(Escalation {
                request_id: r.id,
                due: due.to_string(),
                dispatcher,
                department: dept,
                on: today.to_string(),
                queued: mine.len() as i64,
            });
        }
        run.enqueue(&notes).await?;
        run.commit(&today.to_string(), "requests", &json!({"escalations": out.len(), "notifications": notes.len()}), at_ms)
            .await?;
        Ok(out)
    }

    /// Escalations, newest first.
    pub async fn escalations(&self, limit: i64) -> Result<Vec<Escalation>, StoreError> {
        let rows = sqlx::query(
            "SELECT request_id, due, dispatcher, department, on_date, queued FROM request_escalations \
             ORDER BY at_ms DESC, request_id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Escalation {
                    request_id: r.try_get("request_id")?,
                    due: r.try_get("due")?,
                    dispatcher: r.try_get("dispatcher")?,
                    department: r.try_get("department")?,
                    on: r.try_get("on_date")?,
                    queued: r.try_get("queued")?,
                })
            })
            .collect()
    }
}

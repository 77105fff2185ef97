//! Matching one enterprise against the policies in force.

use std::collections::BTreeMap;

use zhengce_model::Date;
use zhengce_model::fact::{FactValue, Profile};
use zhengce_model::policy::{Confidence, Kind, Marking, Policy, region_contains};
use zhengce_model::region::region_name;
use zhengce_model::schema::FieldType;
use zhengce_model::verdict::{
    Application, MatchReport, Missing, Note, NoteKind, Outcome, PolicyResult, Question, Reason, RegionMissing, RegionQuestion,
    Status, WindowState,
};
use zhengce_rules::eval::Val;
use zhengce_rules::load::RegionValue;
use zhengce_rules::{CompiledRule, Facts, FieldError, Judgement, RuleSet};

use crate::Snapshot;

impl Snapshot {
    /// Validates a JSON profile against the schema.
    pub fn parse_profile_json(&self, value: &serde_json::Value) -> Result<Profile, Vec<FieldError>> {
        let Some(schema) = self.schema() else {
            return Err(vec![FieldError { field: String::new(), message: "规则库的字段定义无法加载".into() }]);
        };
        match value.as_object() {
            Some(obj) => schema.parse_profile(obj),
            None => Err(vec![FieldError { field: String::new(), message: "企业画像应为 JSON 对象".into() }]),
        }
    }

    /// Whether a policy takes part in matching on `as_of`: a benefit, in force, with a rule.
    pub fn matchable(&self, p: &Policy, as_of: Date) -> bool {
        p.meta.kind == Kind::Benefit
            && p.meta.marking != Marking::Historical
            && p.in_force(as_of)
            && self.rule(&p.meta.slug).is_some()
    }

    /// Matches one enterprise against every policy in force on `as_of`, best first.
    pub fn match_profile(&self, profile: &Profile, as_of: Date) -> MatchReport {
        let mut results = Vec::new();
        let mut derived = BTreeMap::new();
        if let Some(rs) = self.rules() {
            let facts = rs.facts(profile, as_of);
            for (name, v) in facts.known_derived(rs) {
                derived.insert(name.to_string(), val_json(v));
            }
            results.reserve(self.policies.len());
            // Policies and rules are both sorted by slug: each policy's rule is found by walking
            // the rules alongside (as `matchable` and `rule`, without a search per policy).
            let mut rules = rs.rules.iter().peekable();
            for p in &self.policies {
                while rules.next_if(|r| r.policy < p.meta.slug).is_some() {}
                if p.meta.kind != Kind::Benefit || p.meta.marking == Marking::Historical || !p.in_force(as_of) {
                    continue;
                }
                if let Some(rule) = rules.peek().filter(|r| r.policy == p.meta.slug) {
                    results.push(self.result(rs, p, rule, profile, &facts));
                }
            }
        }
        // Results are in slug order (that of the policies), and the sort is stable: ties stay in
        // slug order without comparing slugs.
        results.sort_by(|a, b| rank(a).partial_cmp(&rank(b)).unwrap_or(std::cmp::Ordering::Equal));
        let (questions, region_questions) = match self.rules() {
            Some(rs) => ranked_questions(rs, &results),
            None => (Vec::new(), Vec::new()),
        };
        MatchReport { as_of, rules_version: self.version.clone(), derived, results, questions, region_questions }
    }

    /// The derived facts of `profile` on `as_of` that can be computed (size class, layoff rate, …),
    /// by name, as in [`MatchReport::derived`], without matching any policy.
    pub fn derived_facts(&self, profile: &Profile, as_of: Date) -> BTreeMap<String, serde_json::Value> {
        let Some(rs) = self.rules() else { return BTreeMap::new() };
        rs.facts(profile, as_of).known_derived(rs).into_iter().map(|(name, v)| (name.to_string(), val_json(v))).collect()
    }

    /// The status of every policy in force on `as_of`, in slug order, without reasons or amounts:
    /// the same decisions as [`Snapshot::match_profile`], several times faster (for batches).
    pub fn statuses(&self, profile: &Profile, as_of: Date) -> Vec<(&str, Status)> {
        let Some(rs) = self.rules() else { return Vec::new() };
        let facts = rs.facts(profile, as_of);
        let mut out = Vec::new();
        for p in &self.policies {
            if !self.matchable(p, as_of) {
                continue;
            }
            let Some(rule) = self.rule(&p.meta.slug) else { continue };
            let mut status = rs.status(rule, &facts);
            if let Some(region) = &p.meta.region {
                status = with_region(region_outcome(region, profile.get("region")), status);
            }
            out.push((p.meta.slug.as_str(), status));
        }
        out
    }

    /// Benefit policies whose period ended within the 12 months before `as_of` and that no later
    /// record renews (one that names it in `supersedes`, or shares its slug but for the trailing
    /// year and starts after it ended): shown to officers as 已到期、待续期 so the gap is seen.
    pub fn expired_without_successor(&self, as_of: Date) -> Vec<&Policy> {
        let stem = |slug: &str| -> String {
            match slug.rsplit_once('-') {
                Some((head, year)) if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) => head.to_string(),
                _ => slug.to_string(),
            }
        };
        self.policies
            .iter()
            .filter(|p| p.meta.kind == Kind::Benefit)
            .filter(|p| {
                p.meta.effective_to.is_some_and(|to| (1..=366).contains(&(as_of.days_since_epoch() - to.days_since_epoch())))
            })
            .filter(|p| {
                let ended = p.meta.effective_to;
                !self.policies.iter().any(|q| {
                    q.meta.slug != p.meta.slug
                        && (q.meta.supersedes.as_deref() == Some(p.meta.slug.as_str())
                            || (stem(&q.meta.slug) == stem(&p.meta.slug) && ended.is_some_and(|e| q.meta.effective_from > e)))
                })
            })
            .collect()
    }

    /// Matches one enterprise against one policy (in force or not).
    pub fn match_policy(&self, slug: &str, profile: &Profile, as_of: Date) -> Option<PolicyResult> {
        self.match_policy_with(slug, profile, as_of, None)
    }

    /// As [`Snapshot::match_policy`], with region facts `given` instead of those of the corpus
    /// (rule examples use it to show a rule under another region's decision).
    pub fn match_policy_with(&self, slug: &str, profile: &Profile, as_of: Date, given: Option<&Profile>) -> Option<PolicyResult> {
        let rs = self.rules()?;
        let p = self.policy(slug)?;
        let rule = self.rule(slug)?;
        let facts = rs.facts_with(profile, as_of, given);
        Some(self.result(rs, p, rule, profile, &facts))
    }

    fn result(&self, rs: &RuleSet, p: &Policy, rule: &CompiledRule, profile: &Profile, facts: &Facts<'_>) -> PolicyResult {
        let mut j = rs.judge(rule, facts);
        if let Some(region) = &p.meta.region {
            apply_region(rs, &mut j, region, profile.get("region"), p);
        }
        let as_of = facts.as_of();
        let deadline = [p.meta.apply_to, p.meta.effective_to].into_iter().flatten().filter(|d| *d >= as_of).min();
        // Room for the notes below: badge, confidence, window, amount, implements, and those listed.
        let mut notes = Vec::with_capacity(6 + j.decided.region_facts.len() + p.meta.notes.len());
        if let Some(b) = p.meta.marking.badge() {
            notes.push(Note::new(NoteKind::Badge, format!("【{b}】")));
        }
        let confidence = j.decided.confidence(p.meta.confidence);
        match confidence {
            Confidence::GK => {
                notes.push(Note::new(NoteKind::Unverified, "部分条件来自一般知识，尚未核实原文，请以主管部门解释为准"))
            }
            Confidence::S => notes.push(Note::new(
                NoteKind::Unverified,
                "部分依据来自转载或二手资料，尚未取得官方原文，标“待核实”的条件请以主管部门解释为准",
            )),
            Confidence::V => {}
        }
        for &f in &j.decided.region_facts {
            if let Some(note) = region_note(rs, facts, f) {
                notes.push(note);
            }
        }
        if p.meta.confidence == Confidence::S {
            notes.push(Note::new(NoteKind::Unverified, "待核实：主要信息来自第三方转载，尚未见到官方原文，请以主管部门文件为准"));
        }
        let application = Application {
            opens: p.meta.apply_from,
            closes: p.meta.apply_to,
            state: WindowState::at(p.meta.apply_from, p.meta.apply_to, as_of),
        };
        match (application.state, p.meta.apply_from, p.meta.apply_to) {
            (WindowState::NotYet, Some(from), _) => {
                notes.push(Note::new(NoteKind::Window, format!("申报期尚未开始：{from} 起可申报")))
            }
            (WindowState::Closed, _, Some(to)) => {
                notes.push(Note::new(NoteKind::Window, format!("本期申报已于 {to} 截止，请关注下一期通知")))
            }
            (WindowState::Open, Some(from), Some(to)) => {
                notes.push(Note::new(NoteKind::Window, format!("申报期 {from} 至 {to}")))
            }
            _ => {}
        }
        if j.benefit.is_none() && j.status != Status::Ineligible && rule.benefit.is_some() {
            notes.push(Note::new(NoteKind::AmountUnknown, "预计金额暂无法计算（缺少计算所需信息，或该期间标准未公布）"));
        }
        if let Some(base) = p.meta.implements.as_ref().and_then(|slug| self.policy(slug)) {
            notes.push(Note::new(
                NoteKind::Implements,
                format!("同一项支持：本政策是《{}》的落实文件，金额不与其重复计算", base.meta.title),
            ));
        }
        notes.extend(p.meta.notes.iter().map(|n| Note::new(NoteKind::Policy, n.clone())));
        PolicyResult {
            policy: p.meta.slug.clone(),
            title: p.meta.title.clone(),
            level: p.meta.level,
            dimensions: p.meta.dimensions.clone(),
            department: p.meta.department.clone(),
            status: j.status,
            benefit: j.benefit,
            reasons: j.reasons,
            missing: j.missing,
            region_missing: j
                .region_missing
                .iter()
                .filter_map(|&i| rs.schema.fields.get(i))
                .map(|f| RegionMissing {
                    field: f.name.clone(),
                    region: facts.region().unwrap_or_default().to_string(),
                    question: f.question.clone(),
                })
                .collect(),
            gaps: j.gaps,
            deadline,
            application,
            marking: p.meta.marking,
            confidence,
            notes,
            implements: p.meta.implements.clone(),
        }
    }
}

/// Adds the region condition of a regional policy to a judgement.
fn apply_region(rs: &RuleSet, j: &mut Judgement, region: &str, given: Option<&FactValue>, p: &Policy) {
    let name = match region {
        "370000" => "山东省",
        "370800" => "济宁市",
        "370830" => "汶上县",
        _ => region,
    };
    let (outcome, text) = match given {
        Some(FactValue::Text(r)) if region_contains(region, r) => {
            (Outcome::Pass, format!("注册地 {r} 属于{name}（{}政策适用范围）", p.meta.level.label()))
        }
        Some(FactValue::Text(r)) => (Outcome::Fail, format!("注册地 {r} 不在{name}范围内，本政策不适用")),
        _ => (Outcome::Unknown, format!("注册地未知（本政策仅适用于{name}注册企业）")),
    };
    j.reasons.insert(0, Reason { outcome, text, depth: 0, settled: false, confidence: None });
    let status = with_region(outcome, j.status);
    if status == Status::Ineligible {
        j.missing.clear();
        j.region_missing.clear();
        j.gaps.clear();
        j.benefit = None;
    }
    if outcome == Outcome::Unknown && status == Status::Possible && !j.missing.iter().any(|m| m.field == "region") {
        let question = rs.schema.field("region").map(|f| f.question.clone()).unwrap_or_default();
        j.missing.insert(0, Missing { field: "region".into(), question });
    }
    j.status = status;
}

/// The note naming a region fact a verdict rests on: its value and source, that a local option is
/// off where no region adopted it, or that officers have yet to confirm it.
fn region_note(rs: &RuleSet, facts: &Facts<'_>, field: usize) -> Option<Note> {
    let def = rs.schema.fields.get(field)?;
    let here = facts.region().map_or("所在地区", region_name);
    let text = match facts.region_value(field)? {
        RegionValue::Entry(e) => {
            let value = match &e.value {
                zhengce_model::fact::FactValue::Bool(true) => "是".to_string(),
                zhengce_model::fact::FactValue::Bool(false) => "否".to_string(),
                v => format!("{v}{}", def.unit),
            };
            let caveat = e.confidence.caveat().map(|c| format!("（{c}）")).unwrap_or_default();
            format!("地区事实（{}）：{}：{value}（依据：{}）{caveat}", region_name(&e.region), def.label, e.source)
        }
        RegionValue::Off => {
            format!("地区事实（{here}）：“{}”是地方可选政策，未见采用，按不适用处理（地方出台办法后由主管部门登记）", def.label)
        }
        RegionValue::Given(v) => format!("示例设定的地区事实：{}：{v}", def.label),
        RegionValue::Unknown => format!("待主管部门确认的地区事实（{here}）：{}，无需企业填写", def.label),
    };
    Some(Note::new(NoteKind::RegionFact, text))
}

/// The questions of a match: each missing fact once, with the policies it could settle and the
/// amount it could confirm, ranked by that amount, then by how many policies it settles, then in
/// schema order; a gate always before the questions that depend on it. And the region facts the
/// results wait on, for officers.
fn ranked_questions(rs: &RuleSet, results: &[PolicyResult]) -> (Vec<Question>, Vec<RegionQuestion>) {
    // Amounts are added once per benefit: a local document implementing another one in the same
    // list is the same money. `which` are indices into `results`, in result order.
    let amount = |which: &[usize]| -> f64 {
        let listed = |slug: &str| which.iter().any(|&k| results[k].policy == slug);
        let total: f64 = which
            .iter()
            .map(|&k| &results[k])
            .filter(|r| r.implements.as_deref().is_none_or(|base| !listed(base)))
            .map(|r| r.benefit.as_ref().map_or(0.0, |b| b.amount_wan))
            .sum();
        (total * 100.0).round() / 100.0
    };
    // Schema position of a field (usize::MAX for a name that is not an input field).
    let order = |field: &str| match rs.schema.slot(field) {
        Some(zhengce_rules::schema::Slot::Field(i)) => i,
        _ => usize::MAX,
    };
    let slugs = |which: &[usize]| -> Vec<String> { which.iter().map(|&k| results[k].policy.clone()).collect() };
    // (field, its schema position, the result and missing entry that first asked it, results).
    type Asked<'r> = (&'r str, usize, (usize, usize), Vec<usize>);
    // The same, with the region before the position.
    type Regional<'r> = (&'r str, &'r str, usize, (usize, usize), Vec<usize>);
    // An asked question keyed by the amount it unlocks.
    type Keyed<'r> = (OrdF64, &'r str, usize, (usize, usize), Vec<usize>);
    let mut asked: Vec<Asked<'_>> = Vec::new();
    let mut regional: Vec<Regional<'_>> = Vec::new();
    for (k, r) in results.iter().enumerate() {
        for (m_at, m) in r.missing.iter().enumerate() {
            match asked.iter_mut().find(|(f, _, _, _)| *f == m.field) {
                Some((_, _, _, ps)) => ps.push(k),
                None => asked.push((m.field.as_str(), order(&m.field), (k, m_at), vec![k])),
            }
        }
        for (m_at, m) in r.region_missing.iter().enumerate() {
            match regional.iter_mut().find(|(f, reg, _, _, _)| *f == m.field && *reg == m.region) {
                Some((_, _, _, _, ps)) => ps.push(k),
                None => regional.push((m.field.as_str(), m.region.as_str(), order(&m.field), (k, m_at), vec![k])),
            }
        }
    }
    // Ranked: by amount, then by how many policies, then in schema order, then by name.
    let mut keyed: Vec<Keyed<'_>> =
        asked.into_iter().map(|(field, pos, first, which)| (OrdF64(amount(&which)), field, pos, first, which)).collect();
    keyed.sort_by(|a, b| {
        (std::cmp::Reverse(a.0), std::cmp::Reverse(a.4.len()), a.2)
            .cmp(&(std::cmp::Reverse(b.0), std::cmp::Reverse(b.4.len()), b.2))
            .then_with(|| a.1.cmp(b.1))
    });
    // A gate before its dependents: take the best-ranked question whose gate (if listed) is taken.
    let gate_of = |pos: usize| -> Option<usize> { rs.schema.gates.get(pos).copied().flatten() };
    let listed = |g: usize| keyed.iter().any(|q| q.2 == g);
    let mut taken = vec![false; keyed.len()];
    let mut ranked: Vec<Question> = Vec::with_capacity(keyed.len());
    for _ in 0..keyed.len() {
        let free = |(at, q): (usize, &Keyed<'_>)| {
            !taken[at] && gate_of(q.2).is_none_or(|g| !listed(g) || keyed.iter().zip(&taken).any(|(r, &t)| t && r.2 == g))
        };
        let next = keyed.iter().enumerate().position(free).or_else(|| taken.iter().position(|t| !t)).unwrap_or(0);
        taken[next] = true;
        let (unlocks, _, pos, (k, m_at), which) = &keyed[next];
        let m = &results[*k].missing[*m_at];
        let def = rs.schema.fields.get(*pos);
        let choices = match def {
            Some(d) if !d.choices.is_empty() => d.choices.clone(),
            Some(d) => match &d.ty {
                FieldType::Bool => vec!["是".into(), "否".into(), "不清楚".into()],
                FieldType::Enum(vs) => vs.iter().map(|(_, l)| l.clone()).chain(std::iter::once("不清楚".into())).collect(),
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        ranked.push(Question {
            unlocks_wan: unlocks.0,
            unit: def.map(|d| d.unit.clone()).unwrap_or_default(),
            hint: def.and_then(|d| d.hint.clone()),
            after: gate_of(*pos).filter(|&g| listed(g)).and_then(|g| rs.schema.fields.get(g)).map(|f| f.name.clone()),
            choices,
            field: m.field.clone(),
            question: m.question.clone(),
            policies: slugs(which),
        });
    }
    let mut region_questions: Vec<(OrdF64, usize, RegionQuestion)> = regional
        .into_iter()
        .map(|(_, _, pos, (k, m_at), which)| {
            let m = &results[k].region_missing[m_at];
            let unlocks = amount(&which);
            let q = RegionQuestion {
                unlocks_wan: unlocks,
                field: m.field.clone(),
                region: m.region.clone(),
                question: m.question.clone(),
                policies: slugs(&which),
            };
            (OrdF64(unlocks), pos, q)
        })
        .collect();
    region_questions.sort_by(|a, b| {
        (std::cmp::Reverse(a.0), std::cmp::Reverse(a.2.policies.len()), a.1).cmp(&(
            std::cmp::Reverse(b.0),
            std::cmp::Reverse(b.2.policies.len()),
            b.1,
        ))
    });
    (ranked, region_questions.into_iter().map(|(_, _, q)| q).collect())
}

/// A total order on amounts (they are finite).
#[derive(Clone, Copy, PartialEq)]
struct OrdF64(f64);

impl Eq for OrdF64 {}

impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A status once the region condition is added: outside the region is ineligible; an unknown
/// region turns eligible into possible (and leaves every other status as it is).
fn with_region(outcome: Outcome, status: Status) -> Status {
    match (outcome, status) {
        (Outcome::Fail, _) => Status::Ineligible,
        (Outcome::Unknown, Status::Eligible) => Status::Possible,
        (_, s) => s,
    }
}

/// Whether a registered region lies inside a policy's region (unknown when not given).
fn region_outcome(region: &str, given: Option<&FactValue>) -> Outcome {
    match given {
        Some(FactValue::Text(r)) if region_contains(region, r) => Outcome::Pass,
        Some(FactValue::Text(_)) => Outcome::Fail,
        _ => Outcome::Unknown,
    }
}

/// Best first: by status, then (within a status) a closed application window last, since it is
/// not something to apply for now, then by amount.
fn rank(r: &PolicyResult) -> (u8, bool, f64) {
    let s = match r.status {
        Status::Eligible => 0,
        Status::Possible => 1,
        Status::NearMiss => 2,
        Status::Ineligible => 3,
    };
    (s, r.application.state == WindowState::Closed, -r.benefit.as_ref().map_or(0.0, |b| b.amount_wan))
}

fn val_json(v: Val<'_>) -> serde_json::Value {
    match v {
        Val::Unknown => serde_json::Value::Null,
        Val::Num(n) => {
            serde_json::Number::from_f64((n * 1e6).round() / 1e6).map_or(serde_json::Value::Null, serde_json::Value::Number)
        }
        Val::Bool(b) => serde_json::Value::Bool(b),
        Val::Text(t) => serde_json::Value::String(t.to_string()),
        Val::Date(d) => serde_json::Value::String(d.to_string()),
    }
}

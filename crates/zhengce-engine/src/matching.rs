//! Matching one enterprise against the policies in force.

use std::collections::BTreeMap;

use zhengce_model::Date;
use zhengce_model::fact::{FactValue, Profile};
use zhengce_model::policy::{Confidence, Kind, Marking, Policy, region_contains};
use zhengce_model::verdict::{
    Application, MatchReport, Missing, Note, NoteKind, Outcome, PolicyResult, Reason, Status, WindowState,
};
use zhengce_rules::eval::Val;
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
            for p in &self.policies {
                if !self.matchable(p, as_of) {
                    continue;
                }
                if let Some(rule) = self.rule(&p.meta.slug) {
                    results.push(self.result(rs, p, rule, profile, &facts));
                }
            }
        }
        results.sort_by(|a, b| {
            rank(a).partial_cmp(&rank(b)).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.policy.cmp(&b.policy))
        });
        MatchReport { as_of, rules_version: self.version.clone(), derived, results }
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
        let rs = self.rules()?;
        let p = self.policy(slug)?;
        let rule = self.rule(slug)?;
        let facts = rs.facts(profile, as_of);
        Some(self.result(rs, p, rule, profile, &facts))
    }

    fn result(&self, rs: &RuleSet, p: &Policy, rule: &CompiledRule, profile: &Profile, facts: &Facts<'_>) -> PolicyResult {
        let mut j = rs.judge(rule, facts);
        if let Some(region) = &p.meta.region {
            apply_region(rs, &mut j, region, profile.get("region"), p);
        }
        let as_of = facts.as_of();
        let deadline = [p.meta.apply_to, p.meta.effective_to].into_iter().flatten().filter(|d| *d >= as_of).min();
        let mut notes = Vec::new();
        if let Some(b) = p.meta.marking.badge() {
            notes.push(Note::new(NoteKind::Badge, format!("【{b}】")));
        }
        if p.meta.confidence == Confidence::GK {
            notes.push(Note::new(NoteKind::Unverified, "部分条件来自一般知识，尚未核实原文，请以主管部门解释为准"));
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
            gaps: j.gaps,
            deadline,
            application,
            marking: p.meta.marking,
            confidence: p.meta.confidence,
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
    j.reasons.insert(0, Reason { outcome, text, depth: 0, settled: false });
    let status = with_region(outcome, j.status);
    if status == Status::Ineligible {
        j.missing.clear();
        j.gaps.clear();
        j.benefit = None;
    }
    if outcome == Outcome::Unknown && status == Status::Possible {
        let question = rs.schema.field("region").map(|f| f.question.clone()).unwrap_or_default();
        j.missing.insert(0, Missing { field: "region".into(), question });
    }
    j.status = status;
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

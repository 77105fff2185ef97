//! Policy versions: a short hash of what decides a policy's verdicts — its rule (conditions,
//! dated parameter values, near-miss margin, benefit formula), its dates and its region — and
//! nothing that is only wording (the Chinese body, titles, labels, reason templates, citations).
//!
//! The push outbox keys notifications by (enterprise, policy, policy version, channel, kind): a
//! reworded policy keeps its version and so notifies no one, while a raised threshold gets a new
//! version. Names (fields, derived facts, parameters) are written out by name, never by index, so
//! adding an unrelated field to the schema does not change every version.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};
use zhengce_model::policy::{Marking, Policy};
use zhengce_rules::compile::CExpr;
use zhengce_rules::load::CCond;
use zhengce_rules::{CompiledRule, RuleSet};

use crate::Snapshot;

/// Hex characters kept of the SHA-256 (64 bits: collisions between versions of one policy are
/// out of reach).
const VERSION_LEN: usize = 16;

impl Snapshot {
    /// The version of a policy (16 hex characters), or `None` for an unknown slug. Pure: the same
    /// rule, parameters and dates give the same version in any build and any corpus.
    pub fn policy_version(&self, slug: &str) -> Option<String> {
        let p = self.policy(slug)?;
        let canonical = canonical_policy(p, self.rules().zip(self.rule(slug)));
        let digest = Sha256::digest(canonical.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Some(hex[..VERSION_LEN].to_string())
    }
}

/// The text that is hashed (exposed for tests and for explaining why a version changed).
pub fn canonical_policy(p: &Policy, rule: Option<(&RuleSet, &CompiledRule)>) -> String {
    let m = &p.meta;
    let opt = |d: Option<zhengce_model::Date>| d.map_or("-".to_string(), |d| d.to_string());
    let mut out = String::new();
    let _ = writeln!(out, "policy {}", m.slug);
    let _ = writeln!(out, "kind {:?} historical {}", m.kind, m.marking == Marking::Historical);
    let _ = writeln!(out, "region {}", m.region.as_deref().unwrap_or("-"));
    let _ = writeln!(out, "effective {} {}", m.effective_from, opt(m.effective_to));
    let _ = writeln!(out, "apply {} {}", opt(m.apply_from), opt(m.apply_to));
    let Some((rs, rule)) = rule else {
        out.push_str("no rule\n");
        return out;
    };
    let _ = writeln!(out, "margin {:?}", rule.margin);
    for (name, values) in &rule.params {
        let _ = write!(out, "param {name}");
        for v in values {
            let value = v.value.map_or("-".to_string(), |x| format!("{x:?}"));
            let _ = write!(out, " [{} {} {value}]", v.from, opt(v.to));
        }
        out.push('\n');
    }
    out.push_str("cond ");
    cond(&mut out, &rule.cond);
    out.push('\n');
    if let Some(b) = &rule.benefit {
        out.push_str("benefit ");
        expr(&mut out, &b.amount, rs, rule);
        out.push('\n');
    }
    out
}

fn cond(out: &mut String, c: &CCond) {
    let list = |out: &mut String, name: &str, cs: &[CCond]| {
        out.push_str(name);
        out.push('(');
        for (i, c) in cs.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            cond(out, c);
        }
        out.push(')');
    };
    match c {
        CCond::All(cs) => list(out, "all", cs),
        CCond::Any(cs) => list(out, "any", cs),
        CCond::AtLeast(k, cs) => list(out, &format!("atleast{k}"), cs),
        CCond::Not(c) => list(out, "not", std::slice::from_ref(c)),
        // The checked expression as written, without spaces (spacing is wording too).
        CCond::Check(_, src) => {
            out.push('[');
            out.extend(src.chars().filter(|c| !c.is_whitespace()));
            out.push(']');
        }
        // A label is wording: only what it labels counts.
        CCond::Named(_, c) => cond(out, c),
        // Whether thresholds are actionable decides near misses; the advice text does not count.
        CCond::Act(_, c) => list(out, "act", std::slice::from_ref(c)),
        // Dated criteria: each period's dates and conditions (its source text is wording).
        CCond::Dated(periods) => {
            out.push_str("dated(");
            for p in periods {
                let _ = write!(out, "{}..{:?}:", p.from, p.to.map(|t| t.to_string()));
                cond(out, &p.cond);
                out.push(';');
            }
            out.push(')');
        }
    }
}

fn expr(out: &mut String, e: &CExpr, rs: &RuleSet, rule: &CompiledRule) {
    let sub = |out: &mut String, name: &str, es: &[&CExpr]| {
        out.push_str(name);
        out.push('(');
        for (i, e) in es.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            expr(out, e, rs, rule);
        }
        out.push(')');
    };
    match e {
        CExpr::Num(n) => {
            let _ = write!(out, "{n:?}");
        }
        CExpr::Text(t) => {
            let _ = write!(out, "{t:?}");
        }
        CExpr::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        CExpr::None => out.push_str("none"),
        CExpr::Field(i) => {
            let _ = write!(out, "field:{}", rs.schema.fields.get(*i).map_or("?", |f| f.name.as_str()));
        }
        CExpr::Derived(i) => {
            let _ = write!(out, "derived:{}", rs.schema.derived.get(*i).map_or("?", |d| d.def.name.as_str()));
        }
        CExpr::Param(i) => {
            let _ = write!(out, "param:{}", rule.params.get(*i).map_or("?", |(n, _)| n.as_str()));
        }
        CExpr::AsOf => out.push_str("as_of"),
        CExpr::ParamAt(i, values, date) => {
            let _ = write!(out, "param_at:{}[", rule.params.get(*i).map_or("?", |(n, _)| n.as_str()));
            for v in values {
                let _ = write!(out, "{}..{:?}={:?};", v.from, v.to.map(|t| t.to_string()), v.value);
            }
            out.push(']');
            sub(out, "at", &[date]);
        }
        CExpr::Not(a) => sub(out, "not", &[a]),
        CExpr::Neg(a) => sub(out, "neg", &[a]),
        CExpr::Bin(op, a, b) => sub(out, &format!("{op:?}"), &[a, b]),
        CExpr::If(c, a, b) => sub(out, "if", &[c, a, b]),
        CExpr::Call(f, args) => {
            let refs: Vec<&CExpr> = args.iter().collect();
            sub(out, &format!("{f:?}"), &refs);
        }
    }
}

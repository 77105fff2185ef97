//! Running the example profiles that rule files carry.

use zhengce_model::diagnostic::{Code, Diagnostic};
use zhengce_model::rule::Expect;
use zhengce_model::verdict::Status;
use zhengce_rules::CompiledRule;
use zhengce_rules::load::example_position;

use crate::Snapshot;

/// The outcome of one example.
#[derive(Clone, Debug)]
pub struct ExampleReport {
    /// The rule's policy.
    pub policy: String,
    /// Example name.
    pub name: String,
    /// `None` when it passed.
    pub diagnostic: Option<Diagnostic>,
}

fn status_of(e: Expect) -> Status {
    match e {
        Expect::Eligible => Status::Eligible,
        Expect::Possible => Status::Possible,
        Expect::NearMiss => Status::NearMiss,
        Expect::Ineligible => Status::Ineligible,
    }
}

impl Snapshot {
    /// Runs every example of `rule`; `source` is the rule file's text (for positions).
    pub fn check_examples(&self, rule: &CompiledRule, source: &str) -> Vec<ExampleReport> {
        rule.examples
            .iter()
            .map(|ex| {
                let pos = example_position(source, &ex.name);
                let fail = |code: Code, msg: String| {
                    Some(Diagnostic::at(code, &rule.file, pos, format!("example `{}`: {msg}", ex.name)))
                };
                let diagnostic = (|| {
                    let profile = match self.parse_profile_json(&serde_json::Value::Object(ex.profile.clone())) {
                        Ok(p) => p,
                        Err(errs) => {
                            let m: Vec<String> = errs.iter().map(|e| e.message.clone()).collect();
                            return fail(Code::ExampleProfile, format!("invalid profile: {}", m.join("; ")));
                        }
                    };
                    let given = match self.schema().map(|s| s.parse_region_facts(&ex.region_facts)) {
                        Some(Ok(g)) => g,
                        Some(Err(errs)) => {
                            let m: Vec<String> = errs.iter().map(|e| e.message.clone()).collect();
                            return fail(Code::ExampleProfile, format!("invalid region_facts: {}", m.join("; ")));
                        }
                        None => Default::default(),
                    };
                    if let Some(p) = self.policy(&rule.policy)
                        && !p.in_force(ex.as_of)
                    {
                        return fail(Code::ExampleFailed, format!("policy is not in force on {}", ex.as_of));
                    }
                    let r = self.match_policy_with(&rule.policy, &profile, ex.as_of, Some(&given))?;
                    let want = status_of(ex.expect);
                    if r.status != want {
                        let why: Vec<String> = r.reasons.iter().map(|x| format!("[{:?}] {}", x.outcome, x.text)).collect();
                        return fail(
                            Code::ExampleFailed,
                            format!("expected {}, got {}; reasons: {}", want.as_str(), r.status.as_str(), why.join(" | ")),
                        );
                    }
                    if let Some(a) = ex.amount {
                        match &r.benefit {
                            Some(b) if (b.amount_wan - a).abs() <= 0.01 => {}
                            Some(b) => {
                                return fail(Code::ExampleFailed, format!("expected amount {a}, got {}", b.amount_wan));
                            }
                            None => {
                                return fail(Code::ExampleFailed, format!("expected amount {a}, got none"));
                            }
                        }
                    }
                    if let Some(m) = &ex.missing {
                        let got: Vec<&str> = r
                            .missing
                            .iter()
                            .map(|x| x.field.as_str())
                            .chain(r.region_missing.iter().map(|x| x.field.as_str()))
                            .collect();
                        if got != m.iter().map(String::as_str).collect::<Vec<_>>() {
                            return fail(Code::ExampleFailed, format!("expected missing {m:?}, got {got:?}"));
                        }
                    }
                    if let Some(g) = &ex.gaps {
                        let got: Vec<&str> = r.gaps.iter().map(|x| x.field.as_str()).collect();
                        if got != g.iter().map(String::as_str).collect::<Vec<_>>() {
                            return fail(Code::ExampleFailed, format!("expected gaps {g:?}, got {got:?}"));
                        }
                    }
                    None
                })();
                ExampleReport { policy: rule.policy.clone(), name: ex.name.clone(), diagnostic }
            })
            .collect()
    }
}

//! The engine façade: load a corpus into an immutable [`Snapshot`], match enterprises, run batches.
//!
//! A [`Snapshot`] is `Send + Sync` and never changes after [`load`]; HTTP handlers and rayon batch
//! workers share one through an `Arc`. Results carry the snapshot's [`Snapshot::version`] (a SHA-256
//! of every corpus file), so stored verdicts are keyed by the corpus that produced them.
//!
//! No IO and no clock: files come in as text, and `as_of` is always a parameter.

mod batch;
pub mod columnar;
mod examples;
mod matching;
pub mod synth;
mod version;

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use zhengce_model::policy::{Kind, Policy, parse_policy};
use zhengce_rules::{CompiledRule, Input};

pub use batch::{BatchLine, LineParser, PART as BATCH_PART, batch_line, match_chunk, match_chunk_jsonl, match_many};
pub use examples::ExampleReport;
pub use version::canonical_policy;
pub use zhengce_model::diagnostic::{Code, Diagnostic};
pub use zhengce_rules::{FieldError, RuleSet, Schema};

/// How numbers are written in reasons and tables (the same everywhere).
pub mod format {
    pub use zhengce_rules::format::{num, pct};
}

/// The published criteria of a policy's rule: its file, dated parameters and near-miss margin.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Criteria<'a> {
    /// The rule file.
    pub file: &'a str,
    /// Dated parameters, by name.
    pub parameters: Vec<Parameter<'a>>,
    /// How far a numeric threshold may be missed and still count as a near miss.
    pub near_miss_margin: f64,
}

/// One named parameter and its dated values.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Parameter<'a> {
    /// Name used in the rule's expressions.
    pub name: &'a str,
    /// Values with their periods and sources.
    pub values: &'a [zhengce_model::rule::ParamValue],
}
pub use zhengce_model::verdict::{Application, WindowState};

/// A corpus file: its path relative to the corpus root (`policies/x.md`, `rules/y.ron`) and text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path, used in diagnostics.
    pub path: String,
    /// Contents.
    pub text: String,
}

/// A loaded corpus plus everything wrong with it.
pub struct Loaded {
    /// The snapshot (files with errors are left out of it).
    pub snapshot: Snapshot,
    /// Diagnostics, sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
}

/// An immutable, shareable view of a corpus.
pub struct Snapshot {
    policies: Vec<Policy>,
    rules: Option<RuleSet>,
    version: String,
}

const SCHEMA_PATH: &str = "rules/schema.ron";
const DERIVED_PATH: &str = "rules/derived.ron";
const REGION_PATH: &str = "rules/region-facts.ron";
const SHARED_PARAMS_PATH: &str = "rules/shared-params.ron";

/// Loads a corpus from its files. Never fails: problems become diagnostics.
pub fn load(mut files: Vec<SourceFile>) -> Loaded {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut hasher = Sha256::new();
    for f in &files {
        hasher.update(f.path.as_bytes());
        hasher.update([0]);
        hasher.update(f.text.as_bytes());
        hasher.update([0]);
    }
    let version: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();

    let mut diags = Vec::new();
    let mut policies: Vec<Policy> = Vec::new();
    for f in files.iter().filter(|f| is_policy_file(&f.path)) {
        match parse_policy(&f.path, &f.text) {
            Ok(p) => {
                if policies.iter().any(|q| q.meta.slug == p.meta.slug) {
                    diags.push(Diagnostic::at(Code::Duplicate, &f.path, (2, 1), format!("slug `{}` is used twice", p.meta.slug)));
                } else {
                    policies.push(p);
                }
            }
            Err(ds) => diags.extend(ds),
        }
    }
    policies.sort_by(|a, b| a.meta.slug.cmp(&b.meta.slug));
    let periods = policies.iter().map(|p| (p.meta.slug.clone(), (p.meta.effective_from, p.meta.effective_to))).collect();

    let find = |path: &str| files.iter().find(|f| f.path == path);
    let rules = match (find(SCHEMA_PATH), find(DERIVED_PATH)) {
        (Some(s), Some(d)) => {
            let rule_inputs: Vec<Input<'_>> =
                files.iter().filter(|f| is_rule_file(&f.path)).map(|f| Input { path: &f.path, text: &f.text }).collect();
            let schemas: Vec<Input<'_>> = std::iter::once(s)
                .chain(files.iter().filter(|f| is_schema_extension(&f.path)))
                .map(|f| Input { path: &f.path, text: &f.text })
                .collect();
            let region = find(REGION_PATH).map(|f| Input { path: &f.path, text: &f.text });
            let shared = find(SHARED_PARAMS_PATH).map(|f| Input { path: &f.path, text: &f.text });
            let derived = Input { path: &d.path, text: &d.text };
            let (rs, ds) = zhengce_rules::load::load_with_shared(&schemas, derived, region, shared, &rule_inputs, &periods);
            diags.extend(ds);
            rs
        }
        (s, _) => {
            let missing = if s.is_none() { SCHEMA_PATH } else { DERIVED_PATH };
            diags.push(Diagnostic::at(Code::Coverage, missing, (0, 0), "file is missing from the rules folder".to_string()));
            None
        }
    };
    for p in &policies {
        let links = [("implements", &p.meta.implements), ("supersedes", &p.meta.supersedes)];
        for (key, target) in links.into_iter().filter_map(|(k, t)| Some((k, t.as_ref()?))) {
            if policies.iter().any(|q| &q.meta.slug == target) {
                continue;
            }
            let path = format!("policies/{}.md", p.meta.slug);
            let text = files.iter().find(|f| f.path == path).map_or("", |f| f.text.as_str());
            let at = text.find(key).unwrap_or(0);
            diags.push(Diagnostic::at_offset(
                Code::UnknownPolicy,
                &path,
                text,
                at,
                format!("`{key}` names policy `{target}`, which does not exist"),
            ));
        }
    }
    if let Some(rs) = &rules {
        diags.extend(confidence_agreement(&policies, rs, &files));
        for p in &policies {
            let has_rule = rs.rules.iter().any(|r| r.policy == p.meta.slug);
            let has_file = files.iter().any(|f| f.path == format!("rules/{}.ron", p.meta.slug));
            if p.meta.evaluable && p.meta.kind == Kind::Benefit && !has_rule && !has_file {
                let path = format!("policies/{}.md", p.meta.slug);
                diags.push(Diagnostic::at(
                    Code::Coverage,
                    &path,
                    (1, 1),
                    format!("policy `{}` is marked evaluable but has no rule file in rules/", p.meta.slug),
                ));
            }
            if !p.meta.evaluable && has_rule {
                let path = format!("policies/{}.md", p.meta.slug);
                diags.push(Diagnostic::at(
                    Code::Coverage,
                    &path,
                    (1, 1),
                    format!("policy `{}` has a rule but is marked `evaluable = false`", p.meta.slug),
                ));
            }
        }
    }
    let snapshot = Snapshot { policies, rules, version };
    if let Some(rs) = &snapshot.rules {
        for r in &rs.rules {
            let text = files.iter().find(|f| f.path == r.file).map_or("", |f| f.text.as_str());
            diags.extend(snapshot.check_examples(r, text).into_iter().filter_map(|e| e.diagnostic));
        }
    }
    diags.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    Loaded { snapshot, diagnostics: diags }
}

/// A policy's confidence mark must not be more certain than the least certain parameter or
/// criterion mark its rule contains (E014): a record marked `V` whose deciding criteria are `[S]`
/// would show secondary facts as verified.
fn confidence_agreement(policies: &[Policy], rs: &RuleSet, files: &[SourceFile]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for p in policies {
        let Some(rule) = rs.rules.iter().find(|r| r.policy == p.meta.slug) else { continue };
        let period = (p.meta.effective_from, p.meta.effective_to);
        let Some((lowest, what)) = rule.lowest_confidence(&rs.schema, period) else { continue };
        if lowest > p.meta.confidence {
            let path = format!("policies/{}.md", p.meta.slug);
            let text = files.iter().find(|f| f.path == path).map_or("", |f| f.text.as_str());
            let at = text.find("\nconfidence").map_or(0, |i| i + 1);
            out.push(Diagnostic::at_offset(
                Code::Confidence,
                &path,
                text,
                at,
                format!(
                    "policy `{}` is marked {} but its rule rests on {what}, marked {}: mark the policy {} (or verify the fact and mark it V)",
                    p.meta.slug,
                    p.meta.confidence.as_str(),
                    lowest.as_str(),
                    lowest.as_str()
                ),
            ));
        }
    }
    out
}

fn is_policy_file(path: &str) -> bool {
    path.starts_with("policies/") && path.ends_with(".md") && path.matches('/').count() == 1
}

fn is_schema_extension(path: &str) -> bool {
    path.starts_with("rules/schema-") && path.ends_with(".ron") && path.matches('/').count() == 1
}

fn is_rule_file(path: &str) -> bool {
    path.starts_with("rules/")
        && path.ends_with(".ron")
        && path != SCHEMA_PATH
        && path != DERIVED_PATH
        && path != REGION_PATH
        && path != SHARED_PARAMS_PATH
        && !is_schema_extension(path)
        && path.matches('/').count() == 1
}

impl Snapshot {
    /// Hex SHA-256 of the corpus files.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Every policy, sorted by slug.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// One policy by slug.
    pub fn policy(&self, slug: &str) -> Option<&Policy> {
        self.policies.binary_search_by(|p| p.meta.slug.as_str().cmp(slug)).ok().map(|i| &self.policies[i])
    }

    /// The rule set, when the schema loaded.
    pub fn rules(&self) -> Option<&RuleSet> {
        self.rules.as_ref()
    }

    /// The profile schema, when it loaded.
    pub fn schema(&self) -> Option<&Schema> {
        self.rules.as_ref().map(|r| &r.schema)
    }

    /// The rule of a policy.
    pub fn rule(&self, slug: &str) -> Option<&CompiledRule> {
        let rs = self.rules.as_ref()?;
        rs.rules.binary_search_by(|r| r.policy.as_str().cmp(slug)).ok().map(|i| &rs.rules[i])
    }

    /// The published criteria of a policy's rule.
    pub fn criteria(&self, slug: &str) -> Option<Criteria<'_>> {
        let rule = self.rule(slug)?;
        Some(Criteria {
            file: &rule.file,
            parameters: rule.params.iter().map(|(name, values)| Parameter { name, values }).collect(),
            near_miss_margin: rule.margin,
        })
    }

    /// Counts of policies by level, dimension, confidence and marking, for `zhengce check`.
    pub fn counts(&self) -> BTreeMap<&'static str, BTreeMap<&'static str, usize>> {
        let mut out: BTreeMap<&'static str, BTreeMap<&'static str, usize>> = BTreeMap::new();
        for p in &self.policies {
            *out.entry("level").or_default().entry(p.meta.level.as_str()).or_default() += 1;
            for d in &p.meta.dimensions {
                *out.entry("dimension").or_default().entry(d.as_str()).or_default() += 1;
            }
            *out.entry("confidence").or_default().entry(p.meta.confidence.as_str()).or_default() += 1;
            *out.entry("marking").or_default().entry(p.meta.marking.as_str()).or_default() += 1;
        }
        out
    }

    /// For each year of `years`, the benefit records (not historical) in force on at least one day of
    /// it, counted by confidence, for `zhengce check`.
    pub fn in_force_by_year(&self, years: std::ops::RangeInclusive<i32>) -> Vec<(i32, BTreeMap<&'static str, usize>)> {
        years
            .map(|y| {
                let mut by_confidence = BTreeMap::new();
                for p in self
                    .policies
                    .iter()
                    .filter(|p| p.meta.kind == Kind::Benefit && p.meta.marking != zhengce_model::policy::Marking::Historical)
                    .filter(|p| p.meta.effective_from.year() <= y && p.meta.effective_to.is_none_or(|to| to.year() >= y))
                {
                    *by_confidence.entry(p.meta.confidence.as_str()).or_default() += 1;
                }
                (y, by_confidence)
            })
            .collect()
    }
}

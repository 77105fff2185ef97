//! Change detection: one run matches every stored enterprise against every policy in force
//! (status-only, in parallel), compares with the last stored standing per (enterprise, policy),
//! and writes the new standings and the notifications in the run's one transaction.
//!
//! Transitions (previous standing → now; no standing = ineligible or never seen):
//! - anything but eligible → eligible: `newly_eligible`;
//! - eligible → anything else: `no_longer_eligible` (with the gap or the questions);
//! - ineligible/possible → near miss: `newly_near_miss` (with the gap);
//! - ineligible/near miss → possible: `newly_possible` (with the questions);
//! - near miss/possible → ineligible: recorded silently;
//! - a standing whose policy is no longer in force: `no_longer_in_force`, once (the standing goes);
//! - eligible, not applied (no uptake recorded), deadline within the reminder window:
//!   `deadline_approaching`, once per policy version (folded into `newly_eligible` when both happen
//!   in one run, whose text already carries the deadline).
//!
//! Full verdicts (reasons, gaps, amounts) are computed only for the pairs reported.

use std::collections::{BTreeMap, HashMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use zhengce_engine::Snapshot;
use zhengce_engine::columnar::Plan;
use zhengce_model::Date;
use zhengce_model::fact::Profile;
use zhengce_model::verdict::Status;
use zhengce_store::Store;
use zhengce_store::push::{Channel, EnterpriseRow, NewNotification, StandingRow};

use crate::{ChangeKind, PushError, message};

/// Options of one run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The date matched against.
    pub as_of: Date,
    /// Compute and report, write nothing.
    pub dry_run: bool,
    /// Channels named for this run only (e.g. `--channel jsonl:PATH`): registered, not subscribed.
    pub extra_channels: Vec<Channel>,
    /// Enterprises per page (read, matched in parallel, written).
    pub page: usize,
    /// Days before a deadline when eligible firms that have not applied are reminded.
    pub reminder_days: i64,
    /// Sample size per policy in the impact preview.
    pub sample: usize,
}

impl RunOptions {
    /// Defaults for `as_of`: 2,000 enterprises per page, 30-day reminders, 5 samples per policy.
    pub fn new(as_of: Date) -> RunOptions {
        RunOptions { as_of, dry_run: false, extra_channels: Vec::new(), page: 2000, reminder_days: 30, sample: 5 }
    }
}

/// How one policy's standings change in a run (the impact preview).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct PolicyImpact {
    /// Title.
    pub title: String,
    /// Policy version now.
    pub version: String,
    /// Count per change kind.
    pub changes: BTreeMap<String, u64>,
    /// Count per transition `from→to` (statuses; `none` = no standing, `not_in_force`).
    pub transitions: BTreeMap<String, u64>,
    /// A few enterprises that change (credit code, name, kind).
    pub sample: Vec<(String, String, String)>,
}

/// What a run did.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct RunSummary {
    /// Run id (also for dry runs, whose transaction was rolled back).
    pub run_id: i64,
    /// Date matched against.
    pub as_of: String,
    /// Corpus version.
    pub corpus_version: String,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Enterprises examined.
    pub enterprises: u64,
    /// Enterprises whose stored profile no longer passes the schema (skipped).
    pub invalid_profiles: u64,
    /// Changes by kind.
    pub changes: BTreeMap<String, u64>,
    /// Enterprises with at least one reported change.
    pub enterprises_changed: u64,
    /// Standing rows written or removed.
    pub standings_written: u64,
    /// Notifications queued (new keys; 0 on a dry run).
    pub notifications_queued: u64,
    /// Notifications that would be queued (dry run) or were attempted (existing keys skipped).
    pub notifications_planned: u64,
    /// Per policy, the impact.
    pub policies: BTreeMap<String, PolicyImpact>,
}

/// One reported change for one enterprise.
#[derive(Clone, Debug)]
struct Change {
    policy: String,
    kind: ChangeKind,
    from: String,
    to: String,
    text: String,
    detail: Value,
}

/// What matching one enterprise produced.
#[derive(Default)]
struct Outcome {
    upserts: Vec<StandingRow>,
    deletes: Vec<(String, String)>,
    changes: Vec<Change>,
    invalid: bool,
}

/// Hex SHA-256 of the parts, NUL-separated, cut to 32 characters.
pub fn hash_key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The key of a notification: (enterprise, policy, policy version, channel, kind).
pub fn notification_key(credit_code: &str, policy: &str, version: &str, channel: &str, kind: ChangeKind) -> String {
    hash_key(&[credit_code, policy, version, channel, kind.as_str()])
}

fn status_text(s: Status) -> &'static str {
    s.as_str()
}

/// Runs change detection once (see the module doc). `progress` gets the number of enterprises done.
pub async fn detect(
    store: &Store,
    snapshot: &Snapshot,
    opts: &RunOptions,
    at_ms: i64,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<RunSummary, PushError> {
    let as_of = opts.as_of;
    let mut run = store.begin_push_run(at_ms).await?;
    for c in &opts.extra_channels {
        run.put_channel(c).await?;
    }
    let channels = run.channels().await?;
    let extra: HashSet<&str> = opts.extra_channels.iter().map(|c| c.name.as_str()).collect();
    let active: Vec<&Channel> = channels.iter().filter(|c| c.enabled || extra.contains(c.name.as_str())).collect();
    let unsubscribed = run.unsubscribed().await?;
    let applied = run.applied().await?;
    let versions: HashMap<&str, String> = snapshot
        .policies()
        .iter()
        .filter_map(|p| snapshot.policy_version(&p.meta.slug).map(|v| (p.meta.slug.as_str(), v)))
        .collect();
    let in_force: HashSet<&str> =
        snapshot.policies().iter().filter(|p| snapshot.matchable(p, as_of)).map(|p| p.meta.slug.as_str()).collect();

    let mut summary = RunSummary {
        run_id: run.id(),
        as_of: as_of.to_string(),
        corpus_version: snapshot.version().to_string(),
        dry_run: opts.dry_run,
        ..RunSummary::default()
    };
    let plan = Plan::new(snapshot, as_of);
    let slugs: Vec<&str> = plan.slugs().collect();
    let ctx = Ctx {
        snapshot,
        as_of,
        slugs: &slugs,
        versions: &versions,
        in_force: &in_force,
        applied: &applied,
        reminder_days: opts.reminder_days,
    };
    let mut after = String::new();
    loop {
        let page = run.enterprises_page(&after, opts.page as i64).await?;
        let Some(last) = page.last().map(|e| e.credit_code.clone()) else { break };
        let standings = run.standings_between(&after, &last).await?;
        let mut by_code: HashMap<&str, Vec<&StandingRow>> = HashMap::new();
        for s in &standings {
            by_code.entry(s.credit_code.as_str()).or_default().push(s);
        }
        // Statuses of the whole page at once, by column (the batch evaluator); a profile that no
        // longer validates gets none and is counted invalid.
        let profiles: Vec<Option<Profile>> =
            page.par_iter().map(|e| snapshot.parse_profile_json(&Value::Object(e.profile.clone())).ok()).collect();
        let mut statuses = plan.statuses(&plan.columns_of(profiles.iter().flatten())).into_iter();
        let rows: Vec<(&EnterpriseRow, Option<Profile>, Vec<Status>)> = page
            .iter()
            .zip(profiles)
            .map(|(e, p)| {
                let st = if p.is_some() { statuses.next().unwrap_or_default() } else { Vec::new() };
                (e, p, st)
            })
            .collect();
        let outcomes: Vec<Outcome> = rows
            .par_iter()
            .map(|(e, profile, st)| {
                let standings = by_code.get(e.credit_code.as_str()).map_or(&[][..], Vec::as_slice);
                ctx.enterprise(e, standings, profile.as_ref(), st)
            })
            .collect();

        let mut upserts = Vec::new();
        let mut deletes = Vec::new();
        let mut notes = Vec::new();
        for (e, o) in page.iter().zip(outcomes) {
            summary.enterprises += 1;
            summary.invalid_profiles += u64::from(o.invalid);
            summary.standings_written += (o.upserts.len() + o.deletes.len()) as u64;
            if !o.changes.is_empty() {
                summary.enterprises_changed += 1;
            }
            for c in &o.changes {
                *summary.changes.entry(c.kind.as_str().to_string()).or_default() += 1;
                let impact = summary.policies.entry(c.policy.clone()).or_insert_with(|| PolicyImpact {
                    title: snapshot.policy(&c.policy).map(|p| p.meta.title.clone()).unwrap_or_default(),
                    version: versions.get(c.policy.as_str()).cloned().unwrap_or_default(),
                    ..PolicyImpact::default()
                });
                *impact.changes.entry(c.kind.as_str().to_string()).or_default() += 1;
                *impact.transitions.entry(format!("{}→{}", c.from, c.to)).or_default() += 1;
                if impact.sample.len() < opts.sample {
                    impact.sample.push((e.credit_code.clone(), e.name.clone().unwrap_or_default(), c.kind.as_str().to_string()));
                }
                notes.extend(recipients(run.id(), e, c, &versions, &active, &unsubscribed));
            }
            upserts.extend(o.upserts);
            deletes.extend(o.deletes);
        }
        summary.notifications_planned += notes.len() as u64;
        if !opts.dry_run {
            run.put_standings(&upserts).await?;
            run.delete_standings(&deletes).await?;
            summary.notifications_queued += run.enqueue(&notes).await?.len() as u64;
        }
        progress(summary.enterprises);
        after = last;
    }
    if opts.dry_run {
        run.rollback().await?;
    } else {
        let value = serde_json::to_value(&summary).map_err(|e| PushError::Internal(e.to_string()))?;
        let mut small = value;
        if let Some(o) = small.as_object_mut() {
            o.remove("policies");
        }
        run.commit(&as_of.to_string(), snapshot.version(), &small, at_ms).await?;
    }
    Ok(summary)
}

/// The notifications one change makes: one per channel that should hear of it.
fn recipients(
    run_id: i64,
    e: &EnterpriseRow,
    c: &Change,
    versions: &HashMap<&str, String>,
    channels: &[&Channel],
    unsubscribed: &HashSet<String>,
) -> Vec<NewNotification> {
    let version = versions.get(c.policy.as_str()).cloned().unwrap_or_default();
    let run = run_id.to_string();
    let mut out = Vec::new();
    for ch in channels {
        let recipient = match ch.owner_kind.as_str() {
            "enterprise" if ch.owner == e.credit_code && !unsubscribed.contains(&e.credit_code) => e.credit_code.clone(),
            "all" if !unsubscribed.contains(&e.credit_code) => e.credit_code.clone(),
            "town" if c.kind == ChangeKind::NewlyEligible => match &e.town {
                Some(t) if ch.owner == "*" || &ch.owner == t => format!("town:{t}"),
                None if ch.owner == "*" => "town:未填镇街".to_string(),
                _ => continue,
            },
            _ => continue,
        };
        out.push(NewNotification {
            key: notification_key(&e.credit_code, &c.policy, &version, &ch.name, c.kind),
            credit_code: e.credit_code.clone(),
            policy: c.policy.clone(),
            policy_version: version.clone(),
            channel: ch.name.clone(),
            kind: c.kind.as_str().to_string(),
            message_id: hash_key(&["message", &run, &ch.name, &recipient]),
            recipient,
            text: c.text.clone(),
            detail: c.detail.clone(),
        });
    }
    out
}

struct Ctx<'a> {
    snapshot: &'a Snapshot,
    /// The plan's policies, in the order of each enterprise's statuses.
    slugs: &'a [&'a str],
    as_of: Date,
    versions: &'a HashMap<&'a str, String>,
    in_force: &'a HashSet<&'a str>,
    applied: &'a HashSet<(String, String)>,
    reminder_days: i64,
}

fn parse_status(s: &str) -> Option<Status> {
    [Status::Eligible, Status::Possible, Status::NearMiss, Status::Ineligible].into_iter().find(|x| x.as_str() == s)
}

impl Ctx<'_> {
    /// What changed for one enterprise: `profile` is its validated profile (`None`: it no longer
    /// validates) and `statuses` its status for each policy of the plan, in `slugs` order.
    fn enterprise(
        &self,
        e: &EnterpriseRow,
        standings: &[&StandingRow],
        profile: Option<&Profile>,
        statuses: &[Status],
    ) -> Outcome {
        let mut out = Outcome::default();
        let name = e.name.clone().unwrap_or_default();
        let prev: HashMap<&str, &StandingRow> = standings.iter().map(|s| (s.policy.as_str(), *s)).collect();
        // Policies that left force (or the corpus): tell those who had a standing, once.
        for s in standings {
            if self.in_force.contains(s.policy.as_str()) {
                continue;
            }
            // Only a policy that ended (or was marked historical) is "no longer in force". One
            // that is missing from the corpus or lost its rule (a broken file) keeps its standing
            // and tells no one: a corpus mistake must not announce the end of a policy.
            let Some(p) = self.snapshot.policy(&s.policy) else { continue };
            if p.in_force(self.as_of) && p.meta.marking != zhengce_model::policy::Marking::Historical {
                continue;
            }
            out.deletes.push((e.credit_code.clone(), s.policy.clone()));
            {
                let (text, detail) = message::render(ChangeKind::NoLongerInForce, p, None, &name, self.as_of);
                out.changes.push(Change {
                    policy: s.policy.clone(),
                    kind: ChangeKind::NoLongerInForce,
                    from: s.status.clone(),
                    to: "not_in_force".into(),
                    text,
                    detail,
                });
            }
        }
        let Some(profile) = profile else {
            out.invalid = true;
            return out;
        };
        for (&slug, &now) in self.slugs.iter().zip(statuses) {
            let version = self.versions.get(slug).cloned().unwrap_or_default();
            let before = prev.get(slug).copied();
            let was = before.and_then(|s| parse_status(&s.status)).unwrap_or(Status::Ineligible);
            let kind = match (was, now) {
                (w, Status::Eligible) if w != Status::Eligible => Some(ChangeKind::NewlyEligible),
                (Status::Eligible, n) if n != Status::Eligible => Some(ChangeKind::NoLongerEligible),
                (Status::Ineligible | Status::Possible, Status::NearMiss) => Some(ChangeKind::NewlyNearMiss),
                (Status::Ineligible | Status::NearMiss, Status::Possible) => Some(ChangeKind::NewlyPossible),
                _ => None,
            };
            let same_version = before.is_some_and(|s| s.policy_version == version);
            let mut reminded = before.is_some_and(|s| s.reminded) && same_version && was == now;
            let mut report = kind;
            if now == Status::Eligible
                && !reminded
                && !self.applied.contains(&(e.credit_code.clone(), slug.to_string()))
                && let Some(p) = self.snapshot.policy(slug)
            {
                let deadline = [p.meta.apply_to, p.meta.effective_to].into_iter().flatten().filter(|d| *d >= self.as_of).min();
                let days = deadline.map(|d| d.days_since_epoch() - self.as_of.days_since_epoch());
                if days.is_some_and(|d| d <= self.reminder_days) {
                    reminded = true;
                    if report.is_none() {
                        report = Some(ChangeKind::DeadlineApproaching);
                    }
                }
            }
            if now == Status::Ineligible {
                if before.is_some() {
                    out.deletes.push((e.credit_code.clone(), slug.to_string()));
                }
            } else if before.is_none_or(|s| s.status != now.as_str() || s.policy_version != version || s.reminded != reminded) {
                out.upserts.push(StandingRow {
                    credit_code: e.credit_code.clone(),
                    policy: slug.to_string(),
                    policy_version: version.clone(),
                    status: now.as_str().to_string(),
                    reminded,
                });
            }
            let Some(kind) = report else { continue };
            let Some(p) = self.snapshot.policy(slug) else { continue };
            let full = self.snapshot.match_policy(slug, profile, self.as_of);
            let (text, detail) = message::render(kind, p, full.as_ref(), &name, self.as_of);
            out.changes.push(Change {
                policy: slug.to_string(),
                kind,
                from: before.map_or("none".to_string(), |s| s.status.clone()),
                to: status_text(now).to_string(),
                text,
                detail,
            });
        }
        out
    }
}

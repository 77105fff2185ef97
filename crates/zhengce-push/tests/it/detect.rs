//! Change detection: nothing changed → nothing queued; a raised threshold notifies exactly the
//! enterprises whose standing changed; rewording notifies no one; a policy's end yields
//! "no longer in force" once; dry runs write nothing; unsubscribed firms hear nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use zhengce_engine::Snapshot;
use zhengce_model::verdict::Status;
use zhengce_push::{RunOptions, RunSummary, detect_changes};
use zhengce_store::Store;
use zhengce_store::profiles::EnterpriseFilter;
use zhengce_store::push::Channel;

use crate::common::{corpus_files, date, dbs, edited, seed, snapshot};

const UI: &str = "cn-ui-job-retention-refund-2025";

fn channel(name: &str, owner_kind: &str, owner: &str) -> Channel {
    Channel {
        name: name.into(),
        kind: "jsonl".into(),
        target: format!("/tmp/unused-{name}.jsonl"),
        secret: String::new(),
        owner_kind: owner_kind.into(),
        owner: owner.into(),
        per_minute: 0,
        allow_private: false,
        enabled: true,
    }
}

async fn run(store: &Store, snap: &Snapshot, at: &str) -> RunSummary {
    detect_changes(store, snap, &RunOptions::new(date(at)), 1000, &mut |_| {}).await.expect("run")
}

/// Statuses of one policy per enterprise, computed directly.
async fn statuses(store: &Store, snap: &Snapshot, slug: &str, at: &str) -> BTreeMap<String, Status> {
    let mut out = BTreeMap::new();
    for e in store.list_enterprises(&EnterpriseFilter::default(), 100_000, 0).await.expect("list") {
        let p = snap.parse_profile_json(&Value::Object(e.profile.clone())).expect("valid profile");
        let s = snap.statuses(&p, date(at)).into_iter().find(|(s, _)| *s == slug).map_or(Status::Ineligible, |(_, st)| st);
        out.insert(e.credit_code, s);
    }
    out
}

#[tokio::test]
async fn second_run_queues_nothing_and_threshold_and_wording() {
    let base = snapshot(corpus_files());
    for db in dbs().await {
        let store = db.open().await;
        seed(&store, &base, 150).await;
        store.put_push_channel(&channel("all", "all", "*"), 1).await.expect("channel");
        store.put_push_channel(&channel("officer", "town", "*"), 1).await.expect("channel");

        let first = run(&store, &base, "2025-06-01").await;
        assert_eq!(first.enterprises, 150, "{}", db.backend);
        assert!(first.notifications_queued > 0, "{}: first run queues the news: {first:?}", db.backend);
        assert!(first.changes.get("newly_eligible").copied().unwrap_or(0) > 0, "{first:?}");
        let total = store.count_notifications().await.expect("count");
        assert_eq!(total as u64, first.notifications_queued);

        // Nothing changed: nothing queued, no change reported.
        let second = run(&store, &base, "2025-06-01").await;
        assert_eq!(second.notifications_queued, 0, "{}: {second:?}", db.backend);
        assert!(second.changes.is_empty(), "{}: {:?}", db.backend, second.changes);
        assert_eq!(second.standings_written, 0);

        // Rewording the policy text, title and a condition label: same version, nobody notified.
        let reworded = {
            let mut files = edited(&format!("policies/{UI}.md"), |t| {
                t.replace("title = \"失业保险稳岗返还\"", "title = \"失业保险稳岗返还（2025年）\"") + "\n\n（本段为措辞调整。）\n"
            });
            let rule = files.iter_mut().find(|f| f.path == format!("rules/{UI}.ron")).expect("rule");
            rule.text = rule.text.replace("Named(\"裁员率达标", "Named(\"裁员率符合要求");
            snapshot(files)
        };
        assert_eq!(reworded.policy_version(UI), base.policy_version(UI), "wording must not change the version");
        assert_ne!(reworded.version(), base.version(), "the corpus itself did change");
        let r = run(&store, &reworded, "2025-06-01").await;
        assert_eq!(r.notifications_queued, 0, "{}: {r:?}", db.backend);

        // Raising one threshold: a new version; exactly the firms whose standing changed hear of it.
        let raised = snapshot(edited(&format!("rules/{UI}.ron"), |t| {
            t.replace(
                "\"min_paid_months\": [(from: \"2025-01-01\", to: \"2025-12-31\", value: 12,",
                "\"min_paid_months\": [(from: \"2025-01-01\", to: \"2025-12-31\", value: 40,",
            )
        }));
        assert_ne!(raised.policy_version(UI), base.policy_version(UI));
        for p in base.policies() {
            if p.meta.slug != UI {
                assert_eq!(raised.policy_version(&p.meta.slug), base.policy_version(&p.meta.slug), "{}", p.meta.slug);
            }
        }
        let before = statuses(&store, &base, UI, "2025-06-01").await;
        let after = statuses(&store, &raised, UI, "2025-06-01").await;
        let reportable = |from: Status, to: Status| {
            use Status::*;
            matches!((from, to), (f, Eligible) if f != Eligible)
                || matches!((from, to), (Eligible, t) if t != Eligible)
                || matches!((from, to), (Ineligible | Possible, NearMiss) | (Ineligible | NearMiss, Possible))
        };
        let changed: BTreeSet<String> = before.iter().filter(|(c, s)| after[*c] != **s).map(|(c, _)| c.clone()).collect();
        let expected: BTreeSet<String> =
            before.iter().filter(|(c, s)| reportable(**s, after[*c])).map(|(c, _)| c.clone()).collect();
        assert!(!expected.is_empty(), "the raised threshold changes someone's standing");
        let r = run(&store, &raised, "2025-06-01").await;
        assert_eq!(r.policies.keys().collect::<Vec<_>>(), vec![UI], "{}: only this policy changes: {:?}", db.backend, r.policies);
        let got: BTreeSet<String> = store
            .notifications_for_policy(UI, 1_000_000)
            .await
            .expect("list")
            .into_iter()
            .filter(|n| {
                n.notification.channel == "all" && n.notification.policy_version == raised.policy_version(UI).unwrap_or_default()
            })
            .map(|n| n.notification.credit_code)
            .collect();
        assert_eq!(got, expected, "{}", db.backend);
        assert!(got.is_subset(&changed));
        // And once more: nothing.
        assert_eq!(run(&store, &raised, "2025-06-01").await.notifications_queued, 0);
        assert_eq!(store.consistency_problems().await.expect("check"), Vec::<String>::new());
    }
}

#[tokio::test]
async fn end_of_policy_is_told_once_and_dry_run_writes_nothing() {
    let snap = snapshot(corpus_files());
    for db in dbs().await {
        let store = db.open().await;
        seed(&store, &snap, 120).await;
        store.put_push_channel(&channel("all", "all", "*"), 1).await.expect("channel");

        // A dry run computes the impact but writes nothing.
        let mut opts = RunOptions::new(date("2025-06-01"));
        opts.dry_run = true;
        let dry = detect_changes(&store, &snap, &opts, 1000, &mut |_| {}).await.expect("dry run");
        assert!(dry.notifications_planned > 0 && dry.notifications_queued == 0, "{dry:?}");
        assert!(dry.policies.values().any(|p| !p.sample.is_empty() && !p.transitions.is_empty()));
        assert_eq!(store.count_notifications().await.expect("count"), 0);
        let real = run(&store, &snap, "2025-06-01").await;
        assert_eq!(real.changes, dry.changes, "{}: the dry run previews exactly what the run does", db.backend);
        assert_eq!(real.notifications_queued, dry.notifications_planned);

        // A broken rule file drops the policy from matching, but announces nothing.
        let broken = snapshot(edited(&format!("rules/{UI}.ron"), |t| t.replacen("Rule(", "Rule((", 1)));
        assert!(broken.rule(UI).is_none());
        let b = run(&store, &broken, "2025-06-01").await;
        assert!(!b.policies.contains_key(UI), "{}: {:?}", db.backend, b.policies.get(UI));

        let codes = store.list_enterprises(&EnterpriseFilter::default(), 1000, 0).await.expect("list");
        let mut holders = BTreeSet::new();
        for e in &codes {
            if store.standings_of(&e.credit_code).await.expect("standings").iter().any(|s| s.policy == UI) {
                holders.insert(e.credit_code.clone());
            }
        }
        assert!(!holders.is_empty(), "some firms have a standing for {UI}");
        let after_end = run(&store, &snap, "2026-01-05").await;
        let told: BTreeSet<String> = store
            .notifications_for_policy(UI, 100_000)
            .await
            .expect("list")
            .into_iter()
            .filter(|n| n.notification.kind == "no_longer_in_force")
            .map(|n| n.notification.credit_code)
            .collect();
        assert_eq!(told, holders, "{}", db.backend);
        assert_eq!(after_end.policies[UI].changes.get("no_longer_in_force").copied(), Some(holders.len() as u64));
        let again = run(&store, &snap, "2026-01-06").await;
        assert!(!again.policies.contains_key(UI), "{}: told once: {:?}", db.backend, again.policies.get(UI));
    }
}

#[tokio::test]
async fn unsubscribed_firms_hear_nothing_officers_get_town_digests() {
    let snap = snapshot(corpus_files());
    for db in dbs().await {
        let store = db.open().await;
        seed(&store, &snap, 60).await;
        store.put_push_channel(&channel("all", "all", "*"), 1).await.expect("channel");
        store.put_push_channel(&channel("officer", "town", "*"), 1).await.expect("channel");
        let all = store.list_enterprises(&EnterpriseFilter::default(), 1000, 0).await.expect("list");
        let quiet = all[0].credit_code.clone();
        store.set_unsubscribed(&quiet, true, 1, "test").await.expect("unsubscribe");
        assert!(store.set_unsubscribed("91370830XXXXXXXXXX", true, 1, "t").await.is_err(), "unknown enterprise");
        run(&store, &snap, "2025-06-01").await;
        let mut officer_messages = BTreeSet::new();
        for p in snap.policies() {
            for n in store.notifications_for_policy(&p.meta.slug, 100_000).await.expect("list") {
                let n = n.notification;
                if n.channel == "all" {
                    assert_ne!(n.credit_code, quiet, "{}: unsubscribed firm notified", db.backend);
                } else {
                    assert_eq!(n.kind, "newly_eligible");
                    officer_messages.insert(n.message_id);
                }
            }
        }
        assert!(!officer_messages.is_empty());
        let msgs = store.messages("pending", 100_000).await.expect("messages");
        let towns: Vec<_> = msgs.iter().filter(|m| m.channel == "officer").collect();
        assert!(towns.iter().all(|m| m.recipient.starts_with("town:")));
        // One digest per town, one per enterprise.
        let distinct: BTreeSet<_> = towns.iter().map(|m| m.recipient.clone()).collect();
        assert_eq!(distinct.len(), towns.len());
        let firms: Vec<_> = msgs.iter().filter(|m| m.channel == "all").collect();
        let distinct: BTreeSet<_> = firms.iter().map(|m| m.recipient.clone()).collect();
        assert_eq!(distinct.len(), firms.len());
    }
}

#[test]
fn daily_run_is_after_midnight_china_time() {
    // 2025-06-01 00:00 China time = 2025-05-31 16:00 UTC.
    let midnight_cst = (date("2025-06-01").days_since_epoch() * 86_400_000) - 8 * 3_600_000;
    assert_eq!(zhengce_push::ms_until_daily_run(midnight_cst, 10), 10 * 60_000);
    assert_eq!(zhengce_push::ms_until_daily_run(midnight_cst + 10 * 60_000, 10), 86_400_000);
    assert_eq!(zhengce_push::ms_until_daily_run(midnight_cst + 11 * 60_000, 10), 86_400_000 - 60_000);
}

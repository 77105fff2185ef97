//! The laws of the brief model: one amount per support, questions ranked and distinct, the team is
//! the union of the departments, group totals add up.

use std::collections::{BTreeMap, BTreeSet};

use zhengce_brief::MAX_QUESTIONS;
use zhengce_model::verdict::Status;

use crate::common;

#[test]
fn a_document_implementing_another_is_never_summed_twice() {
    let snap = common::snapshot();
    let brief = common::group_brief();
    let mut seen_pair = false;
    for e in &brief.enterprises {
        let mut by_support: BTreeMap<String, Vec<&zhengce_brief::Item>> = BTreeMap::new();
        for it in &e.items {
            let mut root = it.slug.clone();
            while let Some(next) = snap.policy(&root).and_then(|p| p.meta.implements.clone()) {
                root = next;
            }
            by_support.entry(root).or_default().push(it);
        }
        for items in by_support.values() {
            assert_eq!(items.iter().filter(|i| i.counted).count(), 1, "{:?}", items.iter().map(|i| &i.slug).collect::<Vec<_>>());
            if items.len() > 1 {
                seen_pair = true;
                assert!(items.iter().filter(|i| !i.counted).all(|i| i.same_as.is_some()));
            }
        }
        let counted: f64 = e.with_status(Status::Eligible).filter(|i| i.counted).filter_map(|i| i.amount_wan).sum();
        assert!((counted - e.eligible.amount_wan).abs() < 0.006);
    }
    assert!(seen_pair, "the fixtures should hit a national policy and its provincial implementation");
    let garment = &brief.enterprises[0];
    let national = garment.items.iter().find(|i| i.slug == "cn-ui-job-retention-refund-2025").expect("national refund");
    let provincial = garment.items.iter().find(|i| i.slug == "sd-ui-job-retention-refund-2025").expect("Shandong refund");
    assert!(national.counted != provincial.counted);
}

#[test]
fn questions_are_distinct_ranked_and_capped() {
    let brief = common::group_brief();
    let sparse = &brief.enterprises[2];
    assert!(!sparse.questions.is_empty(), "the sparse firm has questions");
    for e in &brief.enterprises {
        assert!(e.questions.len() <= MAX_QUESTIONS);
        let fields: BTreeSet<&str> = e.questions.iter().map(|q| q.field.as_str()).collect();
        assert_eq!(fields.len(), e.questions.len(), "distinct");
        for w in e.questions.windows(2) {
            let key = |q: &zhengce_brief::Question| (q.unlocks_wan, q.policies.len());
            assert!(
                key(&w[0]).0 > key(&w[1]).0 || (key(&w[0]).0 == key(&w[1]).0 && key(&w[0]).1 >= key(&w[1]).1),
                "{:?}",
                e.questions
            );
        }
        let all: BTreeSet<&str> = e.with_status(Status::Possible).flat_map(|i| i.detail.iter().map(String::as_str)).collect();
        assert_eq!(e.questions.len() + e.more_questions, all.len(), "every distinct question is listed or counted");
    }
}

#[test]
fn the_team_is_the_union_of_departments_and_totals_add_up() {
    let brief = common::group_brief();
    for e in &brief.enterprises {
        let depts: BTreeSet<&str> = e.items.iter().map(|i| i.department.as_str()).collect();
        let team: BTreeSet<&str> = e.team.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(depts, team);
        assert!(e.items.iter().all(|i| i.status != Status::Ineligible));
    }
    let t = &brief.totals;
    assert_eq!(t.enterprises, 3);
    assert_eq!(t.eligible.policies, brief.enterprises.iter().map(|e| e.eligible.policies).sum::<usize>());
    let sum: f64 = brief.enterprises.iter().map(|e| e.eligible.amount_wan).sum();
    assert!((sum - t.eligible.amount_wan).abs() < 0.006);
    let depts: BTreeSet<&str> = brief.enterprises.iter().flat_map(|e| e.team.iter().map(|d| d.name.as_str())).collect();
    assert_eq!(depts, t.departments.iter().map(|d| d.name.as_str()).collect());
    let from_policies: usize = brief.policies.iter().map(|p| p.eligible).sum();
    assert_eq!(from_policies, t.eligible.policies);
}

//! Changing the corpus while serving: a broken rule file leaves the old corpus serving and shows
//! its diagnostic at `GET /api/v1/corpus`; the fixed file is then picked up.

use std::path::Path;

use axum::http::StatusCode;
use zhengce_server::reload::{Reloaded, reload};

use crate::common::{SME, call, fixture};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[tokio::test]
async fn a_broken_corpus_is_refused_and_a_fixed_one_swapped_in() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let src = zhengce_corpus::source_root();
    let dirs = zhengce_corpus::CorpusDirs::under(&dir.path().join("corpus"));
    copy_dir(&src.policies, &dirs.policies);
    copy_dir(&src.rules, &dirs.rules);
    let served = s.corpus().snapshot.version().to_string();
    assert_eq!(reload(s, &dirs), Reloaded::Unchanged, "same files, same version");

    // Break a rule: the old corpus keeps serving and the refusal is visible.
    let rule = dirs.rules.join("cn-hnte-certification.ron");
    let good = std::fs::read_to_string(&rule).unwrap();
    std::fs::write(&rule, good.replacen("eligibility:", "eligibility: Nonsense(", 1)).unwrap();
    assert_eq!(reload(s, &dirs), Reloaded::Refused);
    assert_eq!(s.corpus().snapshot.version(), served);
    let (st, v) = call(s, "GET", "/api/v1/corpus", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["version"], served.as_str());
    let diags = v["last_refusal"]["diagnostics"].as_array().unwrap();
    assert!(diags.iter().any(|d| d["file"] == "rules/cn-hnte-certification.ron" && d["line"].as_u64() > Some(0)), "{v}");
    let (st, r) = call(s, "POST", "/api/v1/match?at=2025-06-01", None, Some(SME.into())).await;
    assert_eq!((st, r["rules_version"].as_str()), (StatusCode::OK, Some(served.as_str())));

    // Fix it with a real change (a reworded summary): picked up, refusal cleared.
    std::fs::write(&rule, &good).unwrap();
    let policy = dirs.policies.join("cn-hnte-certification.md");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(&policy, format!("{text}\n")).unwrap();
    let Reloaded::Swapped(new) = reload(s, &dirs) else { panic!("fixed corpus not swapped in") };
    assert_ne!(new, served);
    let (_, v) = call(s, "GET", "/api/v1/corpus", None, None).await;
    assert_eq!(v["version"], new.as_str());
    assert!(v["last_refusal"].is_null(), "{v}");
    let (_, r) = call(s, "POST", "/api/v1/match?at=2025-06-01", None, Some(SME.into())).await;
    assert_eq!(r["rules_version"], new.as_str(), "answers name the corpus that produced them");
}

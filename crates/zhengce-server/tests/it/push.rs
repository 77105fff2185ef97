//! Push inside the service: the scheduler runs change detection at startup, after a profile edit
//! through the API (only the edited firm is told), on a manual wake with nothing changed (nothing
//! queued) and when the day turns at 00:30 China time; the push desk, who-was-told and uptake
//! pages for staff, and an enterprise's own notices page (its channels, unsubscribe, 已申报), with
//! CSRF and access checks on every form.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use zhengce_model::Date;
use zhengce_model::clock::Clock;
use zhengce_push::{ChannelRequest, Guard};
use zhengce_server::schedule::{ScheduleConfig, spawn};
use zhengce_server::{AppState, Config, Corpus};

use crate::common::{SME, call, fixture};
use crate::web::{Who, enc, form_login, get, post};

/// A clock the test moves forward; `today` is the China-time date of `now`.
struct StepClock(AtomicI64);

impl Clock for StepClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
    fn today(&self) -> Date {
        let days = (self.now_ms() + 8 * 3_600_000).div_euclid(86_400_000);
        Date::from_days_since_epoch(days).expect("a date in range")
    }
}

/// Waits until the scheduler has finished `n` runs (debug builds match the demo county in seconds).
async fn runs(state: &AppState, n: u64) -> zhengce_server::schedule::LastRun {
    for _ in 0..1200 {
        let st = state.push.status();
        if st.runs >= n && !st.busy {
            return st.last.expect("a finished run");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the scheduler did not finish run {n}: {:?}", state.push.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_runs_at_start_after_an_edit_on_a_wake_and_when_the_day_turns() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let store = f.state.store.clone().unwrap();
    // 2025-06-01 12:00 China time.
    let clock = Arc::new(StepClock(AtomicI64::new(1_748_750_400_000)));
    let state = AppState::new(Corpus::source_tree(), Some(store.clone()), clock.clone(), Config::default());
    let jsonl = dir.path().join("a.jsonl");
    // Enterprise A listens on a JSONL file (only admins may register files; the test is one).
    let req = ChannelRequest {
        name: "a-file".into(),
        kind: "jsonl".into(),
        target: jsonl.display().to_string(),
        secret: String::new(),
        owner_kind: "enterprise".into(),
        owner: f.a.0.clone(),
        per_minute: None,
    };
    zhengce_push::add_channel(&store, &req, &Guard::default(), true, false, clock.now_ms()).await.unwrap();

    let mut cfg = ScheduleConfig::new("test-worker");
    cfg.poll = Duration::from_millis(100);
    cfg.debounce = Duration::from_millis(50);
    let task = spawn(state.clone(), cfg).expect("a store is open");

    // 1. At start: a baseline run over the whole demo county.
    let first = runs(&state, 1).await;
    assert_eq!(first.trigger, "启动");
    let s1 = first.summary.expect("summary");
    assert!(s1.enterprises > 100, "{s1:?}");
    let told_at_start = std::fs::read_to_string(&jsonl).unwrap_or_default().lines().count();
    assert!(told_at_start >= 1, "A's first standings are news to A");

    // 2. An officer edits B's profile through the API: the scheduler wakes; only B changes.
    let mut sme: serde_json::Value = serde_json::from_str(SME).unwrap();
    sme["credit_code"] = serde_json::Value::String(f.b.0.clone());
    let (status, body) =
        call(&state, "PUT", &format!("/api/v1/enterprises/{}", f.b.0), Some(&f.officer), Some(sme.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = runs(&state, 2).await;
    assert_eq!(second.trigger, "企业信息变更");
    let s2 = second.summary.expect("summary");
    assert_eq!(s2.enterprises_changed, 1, "{s2:?}");
    // B has no channel of its own: its standings are recorded, A's file hears nothing new.
    assert_eq!(std::fs::read_to_string(&jsonl).unwrap().lines().count(), told_at_start);

    // 3. A manual wake with nothing changed queues nothing.
    state.push.wake("手动");
    let third = runs(&state, 3).await;
    assert_eq!(third.trigger, "手动");
    let s3 = third.summary.expect("summary");
    assert_eq!((s3.enterprises_changed, s3.notifications_queued), (0, 0), "{s3:?}");

    // 4. The day turns at 00:30 China time: a daily run, even with nothing else changed. Moving
    //    to 2026-01-01 also passes the end of policies that ran to 2025-12-31: A hears of it.
    clock.0.store(1_767_198_600_000 + 60_000, Ordering::SeqCst); // 2026-01-01 00:31 China time
    let fourth = runs(&state, 4).await;
    assert_eq!(fourth.trigger, "每日定时");
    let s4 = fourth.summary.expect("summary");
    assert_eq!(s4.as_of, "2026-01-01");
    assert!(s4.changes.get("no_longer_in_force").copied().unwrap_or(0) > 0, "{s4:?}");
    let lines = std::fs::read_to_string(&jsonl).unwrap().lines().count();
    assert!(lines > told_at_start, "A is told that policies ended");
    task.abort();
}

#[tokio::test]
async fn push_desk_who_was_told_and_uptake_are_for_staff_with_csrf() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    // Access: anonymous → login; enterprise → 403; officer → the desk.
    let anon = get(s, "/console/push", Who::Anonymous).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.location().starts_with("/login"));
    assert_eq!(get(s, "/console/push", Who::Token(&f.a.1)).await.status, StatusCode::FORBIDDEN);
    let slug = "cn-small-low-profit-cit";
    assert_eq!(get(s, &format!("/console/push/policies/{slug}"), Who::Token(&f.a.1)).await.status, StatusCode::FORBIDDEN);
    let (officer, csrf) = form_login(s, "officer1").await;
    let desk = get(s, "/console/push", Who::Cookie(&officer)).await;
    assert_eq!(desk.status, StatusCode::OK);
    assert!(desk.body.contains("政策推送") && desk.body.contains("还没有推送渠道"), "{}", desk.body);
    // No scheduler runs in this fixture: "run now" says so instead of pretending.
    let run = post(s, "/console/push/run", Who::Cookie(&officer), &format!("_csrf={csrf}")).await;
    assert_eq!(run.status, StatusCode::SEE_OTHER);
    assert!(run.location().contains("err="), "{}", run.location());

    // Forms without the session's CSRF token are refused and change nothing.
    let body = format!(
        "name=x&kind=wecom&target={}&owner_kind=town&owner=",
        enc("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
    );
    let refused = post(s, "/console/push/channels", Who::Cookie(&officer), &body).await;
    assert!(refused.location().contains("err="), "{}", refused.location());
    assert!(s.store.as_ref().unwrap().push_channels().await.unwrap().is_empty());
    // With it, the channel is stored; its key is never shown back.
    let ok = post(s, "/console/push/channels", Who::Cookie(&officer), &format!("_csrf={csrf}&{body}")).await;
    assert!(ok.location().contains("msg="), "{}", ok.location());
    let desk = get(s, "/console/push", Who::Cookie(&officer)).await;
    assert!(desk.body.contains("企业微信群机器人") && desk.body.contains("https://qyapi.weixin.qq.com/…"));
    assert!(!desk.body.contains("key=k"));
    // A loopback webhook is refused for an officer (SSRF), and an officer cannot allow it.
    let ssrf = format!(
        "_csrf={csrf}&name=y&kind=webhook&target={}&owner_kind=town&owner=&allow_private=1",
        enc("http://127.0.0.1:9/hook")
    );
    let no = post(s, "/console/push/channels", Who::Cookie(&officer), &ssrf).await;
    assert!(no.location().contains("err="), "{}", no.location());
    let ssrf = ssrf.replace("&allow_private=1", "");
    let no = post(s, "/console/push/channels", Who::Cookie(&officer), &ssrf).await;
    assert!(no.location().contains("err="), "{}", no.location());
    assert_eq!(s.store.as_ref().unwrap().push_channels().await.unwrap().len(), 1);

    // Uptake: recorded by the officer, shown on the policy's push page, audited.
    let form = format!("_csrf={csrf}&credit_code={}&state=granted&amount=1.5", f.a.0);
    let rec = post(s, &format!("/console/push/policies/{slug}/uptake"), Who::Cookie(&officer), &form).await;
    assert!(rec.location().contains("msg="), "{}", rec.location());
    let bad = format!("_csrf={csrf}&credit_code={}&state=granted&amount=-3", f.a.0);
    let rec = post(s, &format!("/console/push/policies/{slug}/uptake"), Who::Cookie(&officer), &bad).await;
    assert!(rec.location().contains("err="), "{}", rec.location());
    let page = get(s, &format!("/console/push/policies/{slug}"), Who::Cookie(&officer)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("已兑现 <b>1</b>") && page.body.contains("1.5 万元"), "{}", page.body);
    let audit = s.store.as_ref().unwrap().audit_log(0, 1000).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "uptake" && e.actor == "officer:officer1"));
}

#[tokio::test]
async fn an_enterprise_sees_only_its_own_notices_and_can_unsubscribe_and_mark_applied() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let store = s.store.clone().unwrap();
    // A detection run with a channel for each of A and B.
    for (code, name) in [(&f.a.0, "a"), (&f.b.0, "b")] {
        let req = ChannelRequest {
            name: name.into(),
            kind: "jsonl".into(),
            target: dir.path().join(format!("{name}.jsonl")).display().to_string(),
            secret: String::new(),
            owner_kind: "enterprise".into(),
            owner: code.clone(),
            per_minute: None,
        };
        zhengce_push::add_channel(&store, &req, &Guard::default(), true, false, 1).await.unwrap();
    }
    let opts = zhengce_push::RunOptions::new("2025-06-01".parse().unwrap());
    zhengce_push::detect_changes(&store, &s.corpus().snapshot, &opts, 1, &mut |_| {}).await.unwrap();

    // Anonymous → login; staff → a 403 page pointing to the desk.
    assert_eq!(get(s, "/my/notices", Who::Anonymous).await.status, StatusCode::SEE_OTHER);
    assert_eq!(get(s, "/my/notices", Who::Token(&f.officer)).await.status, StatusCode::FORBIDDEN);
    let (a, csrf) = form_login(s, "ent-a").await;
    let page = get(s, "/my/notices", Who::Cookie(&a)).await;
    assert_eq!(page.status, StatusCode::OK);
    let mine = store.notifications_for_enterprise(&f.a.0, 1000).await.unwrap();
    let theirs = store.notifications_for_enterprise(&f.b.0, 1000).await.unwrap();
    assert!(!mine.is_empty() && !theirs.is_empty());
    assert!(page.body.contains(&format!("收到的通知（{}）", mine.len())), "{}", page.body);
    assert!(page.body.contains(&f.a.0) && !page.body.contains(&f.b.0), "B's code never appears on A's page");
    // The code in the form is ignored: an enterprise marks 已申报 only for itself.
    let eligible = store.standings_of(&f.a.0).await.unwrap().into_iter().find(|r| r.status == "eligible");
    if let Some(e) = eligible {
        let r =
            post(s, "/my/notices/uptake", Who::Cookie(&a), &format!("_csrf={csrf}&policy={}&credit_code={}", e.policy, f.b.0))
                .await;
        assert!(r.location().contains("msg="), "{}", r.location());
        let up = store.uptake(Some(&e.policy)).await.unwrap();
        assert_eq!(up.len(), 1);
        assert_eq!((up[0].credit_code.as_str(), up[0].state.as_str()), (f.a.0.as_str(), "applied"));
    }
    // Unsubscribe needs the CSRF token; then it is recorded and shown.
    let no = post(s, "/my/notices/subscription", Who::Cookie(&a), "unsubscribe=1").await;
    assert!(no.location().contains("err="));
    assert!(!store.is_unsubscribed(&f.a.0).await.unwrap());
    let yes = post(s, "/my/notices/subscription", Who::Cookie(&a), &format!("_csrf={csrf}&unsubscribe=1")).await;
    assert!(yes.location().contains("msg="));
    assert!(store.is_unsubscribed(&f.a.0).await.unwrap() && !store.is_unsubscribed(&f.b.0).await.unwrap());
    assert!(get(s, "/my/notices", Who::Cookie(&a)).await.body.contains("恢复接收"));
    // Its own channel: private addresses are refused; an e-mail address is fine and owned by A.
    let bad = format!("_csrf={csrf}&name=hook&kind=webhook&target={}", enc("http://192.168.1.10/x"));
    assert!(post(s, "/my/notices/channels", Who::Cookie(&a), &bad).await.location().contains("err="));
    let good = format!("_csrf={csrf}&name=mail&kind=email&target={}", enc("caiwu@example.com"));
    assert!(post(s, "/my/notices/channels", Who::Cookie(&a), &good).await.location().contains("msg="));
    let chans = store.push_channels().await.unwrap();
    let mail = chans.iter().find(|c| c.kind == "email").expect("stored");
    assert_eq!((mail.owner_kind.as_str(), mail.owner.as_str()), ("enterprise", f.a.0.as_str()));
}

/// The push desk, who-was-told and an enterprise's notices in headless Chromium at phone and
/// desktop widths (with `ZHENGCE_BROWSER_TESTS=1`; screenshots under `target/screenshots/`).
#[tokio::test]
async fn push_pages_in_the_browser() {
    use fantoccini::Locator;

    use crate::browser::{assert_no_sideways_scroll, login, scroll_to, shot, start_driver, text_of, viewport};

    if std::env::var("ZHENGCE_BROWSER_TESTS").as_deref() != Ok("1") {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "\n*** NOTE: the push pages' browser test was NOT run: set ZHENGCE_BROWSER_TESTS=1. ***\n"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let store = f.state.store.clone().unwrap();
    // A's own JSONL file, and a town webhook that cannot be reached (its messages become dead letters).
    let channels = [
        ("a-file", "jsonl", dir.path().join("a.jsonl").display().to_string(), "enterprise", f.a.0.clone(), false),
        ("town-hook", "webhook", "http://127.0.0.1:9/hook".to_string(), "town", "*".to_string(), true),
    ];
    for (name, kind, target, owner_kind, owner, private) in channels {
        let req = ChannelRequest {
            name: name.into(),
            kind: kind.into(),
            target,
            secret: String::new(),
            owner_kind: owner_kind.into(),
            owner,
            per_minute: None,
        };
        zhengce_push::add_channel(&store, &req, &Guard::default(), true, private, 1).await.unwrap();
    }
    let clock = f.state.clock.clone();
    let opts = zhengce_push::RunOptions::new(clock.today());
    zhengce_push::detect_changes(&store, &f.state.corpus().snapshot, &opts, clock.now_ms(), &mut |_| {}).await.unwrap();
    let mut cfg = zhengce_push::DeliveryConfig::new("browser-test");
    cfg.max_attempts = 1;
    cfg.timeout = Duration::from_millis(500);
    cfg.max_wait = Duration::ZERO;
    cfg.guard = Guard::open();
    zhengce_push::deliver_pending(&store, &cfg, clock.as_ref(), &mut |_| {}).await.unwrap();
    assert!(store.outbox_counts(0).await.unwrap().dead > 0, "the town webhook's messages are dead letters");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(zhengce_server::serve(listener, f.state.clone(), std::future::pending()));
    let (_driver, c) = start_driver().await;
    for (w, h, size) in [(390u32, 844u32, "phone"), (1280, 800, "desktop")] {
        viewport(&c, w, h).await;
        c.delete_all_cookies().await.unwrap();
        login(&c, &base, "officer1").await;
        c.goto(&format!("{base}/console/push?preview=1&at=2026-01-01")).await.unwrap();
        assert!(text_of(&c, "h1").await.contains("政策推送"));
        assert!(text_of(&c, "main").await.contains("政策到期"), "the preview to 2026 shows policies ending");
        assert_no_sideways_scroll(&c, "push desk").await;
        shot(&c, &format!("{size}-9-push-desk")).await;
        scroll_to(&c, "#dead-letters").await;
        shot(&c, &format!("{size}-9b-push-dead-letters")).await;
        c.find(Locator::Css("#replay-all button")).await.unwrap().click().await.unwrap();
        let notice = c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(".notice")).await.unwrap();
        assert!(notice.text().await.unwrap().contains("重新排队"));
        assert_eq!(store.outbox_counts(0).await.unwrap().dead, 0);
        // They fail again (the next size sees dead letters too).
        zhengce_push::deliver_pending(&store, &cfg, clock.as_ref(), &mut |_| {}).await.unwrap();
        c.goto(&format!("{base}/console/push/policies/cn-small-low-profit-cit")).await.unwrap();
        assert!(text_of(&c, "main").await.contains("已通知的企业"));
        assert_no_sideways_scroll(&c, "who was told").await;
        shot(&c, &format!("{size}-9c-push-policy-told")).await;
        c.delete_all_cookies().await.unwrap();
        login(&c, &base, "ent-a").await;
        c.goto(&format!("{base}/my/notices")).await.unwrap();
        assert!(text_of(&c, "h1").await.contains("我的政策通知"));
        assert_no_sideways_scroll(&c, "my notices").await;
        shot(&c, &format!("{size}-9d-enterprise-notices")).await;
    }
    c.close().await.unwrap();
}

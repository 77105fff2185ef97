//! SSRF: private, loopback and link-local addresses are refused — as literals when a channel is
//! added, after DNS resolution and on redirects when sending — before any connection is opened,
//! unless an admin allows them.

use std::net::IpAddr;
use std::time::Duration;

use zhengce_push::deliver::DeliveryConfig;
use zhengce_push::receiver::{Behavior, Receiver};
use zhengce_push::ssrf::is_forbidden;
use zhengce_push::{ChannelRequest, Guard, RunOptions, add_channel, deliver_pending, detect_changes};
use zhengce_store::push::Channel;

use crate::common::{RealClock, corpus_files, date, dbs, seed, snapshot};

fn webhook(name: &str, url: &str) -> ChannelRequest {
    ChannelRequest {
        name: name.into(),
        kind: "webhook".into(),
        target: url.into(),
        secret: "k".into(),
        owner_kind: "town".into(),
        owner: "*".into(),
        per_minute: None,
    }
}

#[test]
fn forbidden_ranges() {
    for ip in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "198.18.0.1",
        "255.255.255.255",
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
    ] {
        assert!(is_forbidden(ip.parse::<IpAddr>().expect(ip)), "{ip} should be refused");
    }
    for ip in ["8.8.8.8", "114.114.114.114", "172.32.0.1", "2400:3200::1", "101.6.6.6"] {
        assert!(!is_forbidden(ip.parse::<IpAddr>().expect(ip)), "{ip} should be allowed");
    }
}

#[tokio::test]
async fn literal_private_urls_are_refused_when_added_unless_an_admin_allows() {
    let db = dbs().await.remove(0);
    let store = db.open().await;
    let g = Guard::default();
    for url in [
        "http://127.0.0.1:9/hook",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/",
        "http://0x7f.0.0.1/",
        "http://2130706433/",
        "http://[::ffff:192.168.0.1]/",
        "ftp://example.com/",
        "http://user:pw@example.com/",
        "not a url",
    ] {
        let err = add_channel(&store, &webhook("x", url), &g, false, false, 1).await.expect_err(url);
        assert!(err.is_user_error(), "{url}: {err}");
    }
    // Only an admin may allow private addresses.
    assert!(add_channel(&store, &webhook("x", "http://127.0.0.1:9/"), &g, false, true, 1).await.is_err());
    assert!(add_channel(&store, &webhook("x", "http://127.0.0.1:9/"), &g, true, true, 1).await.is_ok());
    // A host name passes the form check (it is checked when it resolves).
    assert!(
        add_channel(&store, &webhook("y", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"), &g, false, false, 1)
            .await
            .is_ok()
    );
}

/// Puts a channel straight into the store (as if an earlier check had passed), bypassing `add_channel`.
fn raw(name: &str, url: &str) -> Channel {
    Channel {
        name: name.into(),
        kind: "webhook".into(),
        target: url.into(),
        secret: "k".into(),
        owner_kind: "all".into(),
        owner: "*".into(),
        per_minute: 0,
        allow_private: false,
        enabled: true,
    }
}

#[tokio::test]
async fn refused_after_dns_resolution_and_on_redirects_without_connecting() {
    let db = dbs().await.remove(0);
    let store = db.open().await;
    let snap = snapshot(corpus_files());
    seed(&store, &snap, 5).await;
    let rx = Receiver::start(Behavior::default()).await.expect("rx");
    // `localhost` resolves to a loopback address: refused by the resolver, no connection made.
    store.put_push_channel(&raw("dns", &format!("http://localhost:{}/hook", rx.addr.port())), 1).await.expect("ch");
    detect_changes(&store, &snap, &RunOptions::new(date("2025-06-01")), 1000, &mut |_| {}).await.expect("run");
    let mut cfg = DeliveryConfig::new("w");
    cfg.timeout = Duration::from_millis(500);
    cfg.max_wait = Duration::ZERO;
    let stats = deliver_pending(&store, &cfg, &RealClock, &mut |_| {}).await.expect("deliver");
    assert!(stats.dead > 0 && stats.sent == 0, "{stats:?}");
    assert_eq!(rx.tally().connections, 0, "no socket was opened to the receiver");
    let dead = store.messages("dead", 100).await.expect("dead");
    assert!(dead.iter().all(|m| m.last_error.as_deref().is_some_and(|e| e.contains("拒绝"))), "{dead:?}");

    // Redirects: the admin allowed 127.0.0.1, which redirects to the cloud metadata address.
    let hop =
        Receiver::start(Behavior { redirect: Some("http://169.254.169.254/latest/meta-data".into()), ..Behavior::default() })
            .await
            .expect("rx");
    store.put_push_channel(&raw("redir", &hop.url("/r")), 1).await.expect("ch");
    store.set_push_channel_enabled("dns", false).await.expect("disable");
    detect_changes(&store, &snap, &RunOptions::new(date("2026-01-05")), 2000, &mut |_| {}).await.expect("run");
    cfg.guard = Guard { allow_private: false, allowed: vec!["127.0.0.1".parse().expect("ip")] };
    let stats = deliver_pending(&store, &cfg, &RealClock, &mut |_| {}).await.expect("deliver");
    assert!(stats.dead > 0 && stats.sent == 0, "{stats:?}");
    assert!(hop.tally().requests.len() as u64 >= stats.dead, "the first hop was reached");
    let dead = store.messages("dead", 100).await.expect("dead");
    assert!(
        dead.iter()
            .filter(|m| m.channel == "redir")
            .all(|m| m.last_error.as_deref().is_some_and(|e| e.contains("169.254.169.254"))),
        "{dead:?}"
    );
    // Replaying the first channel's letters with the admin allowlist still refuses the name
    // `localhost` when it also resolves to ::1 (not allowed); with `allow_private` it is delivered.
    cfg.guard = Guard::open();
    store
        .replay_dead(&dead.iter().filter(|m| m.channel == "dns").map(|m| m.id.clone()).collect::<Vec<_>>(), 5000, "admin")
        .await
        .expect("replay");
    let stats = deliver_pending(&store, &cfg, &RealClock, &mut |_| {}).await.expect("deliver");
    assert!(stats.sent > 0, "{stats:?}");
    assert!(rx.tally().connections > 0);
}

//! Crash harness for batch push (`.ci/push-crash.sh` drives it): imports a demo roster, starts a
//! webhook receiver on 127.0.0.1 (signature checks, some 500s, some answers after the client's
//! timeout), registers it as a channel for every enterprise, then runs `zhengce push` processes
//! and kills one with SIGKILL at random moments, restarting it, at least `--kills` times. Then
//! it lets the queue drain and checks, Jepsen-style: every queued key delivered (lost = 0), nothing
//! unexpected, each key applied once by the receiver (raw duplicate deliveries counted and
//! reported), outbox empty, store consistent, and a further run queues nothing.
//!
//! Usage: `zhengce-push-crash --zhengce target/debug/zhengce --db URL --work DIR
//!         [--enterprises 400] [--kills 20] [--workers 1] [--at 2025-06-01] [--min-notifications 10000]`

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zhengce_push::receiver::{Behavior, Receiver};
use zhengce_push::{ChannelRequest, Guard};
use zhengce_store::Store;

const CHANNEL: &str = "crash-webhook";
const SECRET: &str = "crash-test-secret";

struct Args {
    zhengce: String,
    db: String,
    work: String,
    enterprises: u64,
    kills: usize,
    workers: usize,
    at: String,
    min_notifications: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        zhengce: "target/debug/zhengce".into(),
        db: String::new(),
        work: String::new(),
        enterprises: 400,
        kills: 20,
        workers: 1,
        at: "2025-06-01".into(),
        min_notifications: 10_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} 缺少取值"));
        match flag.as_str() {
            "--zhengce" => a.zhengce = val()?,
            "--db" => a.db = val()?,
            "--work" => a.work = val()?,
            "--enterprises" => a.enterprises = val()?.parse().map_err(|e| format!("--enterprises: {e}"))?,
            "--kills" => a.kills = val()?.parse().map_err(|e| format!("--kills: {e}"))?,
            "--workers" => a.workers = val()?.parse().map_err(|e| format!("--workers: {e}"))?,
            "--at" => a.at = val()?,
            "--min-notifications" => a.min_notifications = val()?.parse().map_err(|e| format!("--min-notifications: {e}"))?,
            other => return Err(format!("未知参数 {other}")),
        }
    }
    if a.db.is_empty() || a.work.is_empty() {
        return Err("需要 --db 和 --work".into());
    }
    Ok(a)
}

fn rand_below(n: u64) -> u64 {
    let mut b = [0u8; 8];
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b) % n.max(1)
}

fn run_ok(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?} 失败：{}\n{}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn push_cmd(a: &Args) -> Command {
    let mut c = Command::new(&a.zhengce);
    c.args([
        "push",
        "--db",
        &a.db,
        "--at",
        &a.at,
        "--lease-secs",
        "3",
        "--timeout-ms",
        "1000",
        "--backoff-ms",
        "200",
        "--max-attempts",
        "50",
        "--max-wait-secs",
        "20",
        "--concurrency",
        "2",
        "--batch",
        "2",
        "--quiet",
    ]);
    c.stdout(Stdio::piped()).stderr(Stdio::null());
    c
}

#[tokio::main]
async fn main() {
    match run().await {
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            println!("push-crash: 1 passed, 0 failed");
        }
        Err(e) => {
            eprintln!("push-crash FAILED: {e}");
            println!("push-crash: 0 passed, 1 failed");
            std::process::exit(1);
        }
    }
}

async fn run() -> Result<Value, String> {
    let a = parse_args()?;
    std::fs::create_dir_all(&a.work).map_err(|e| e.to_string())?;
    let csv = format!("{}/roster.csv", a.work);
    run_ok(Command::new(&a.zhengce).args(["demo-data", "--enterprises", &a.enterprises.to_string(), "--out", &csv]))?;
    run_ok(Command::new(&a.zhengce).args(["import", &csv, "--db", &a.db]))?;

    let receiver = Receiver::start(Behavior {
        fail_pct: 3,
        hang_pct: 1,
        hang: Duration::from_millis(1500),
        delay: Duration::from_millis(600),
        secret: Some(SECRET.into()),
        ..Behavior::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    {
        let store = Store::open(&a.db).await.map_err(|e| e.to_string())?;
        let req = ChannelRequest {
            name: CHANNEL.into(),
            kind: "webhook".into(),
            target: receiver.url("/hook"),
            secret: SECRET.into(),
            owner_kind: "all".into(),
            owner: "*".into(),
            per_minute: Some(0),
        };
        // The admin allows the loopback receiver for this channel.
        zhengce_push::add_channel(&store, &req, &Guard::default(), true, true, 1).await.map_err(|e| e.to_string())?;
        store.close().await;
    }

    let started = Instant::now();
    let mut kills = 0usize;
    let mut exited_clean = 0usize;
    let mut procs: Vec<Child> = Vec::new();
    while kills < a.kills {
        while procs.len() < a.workers {
            procs.push(push_cmd(&a).spawn().map_err(|e| e.to_string())?);
        }
        if started.elapsed() > Duration::from_secs(600) {
            return Err(format!("超时：10 分钟内只杀了 {kills} 次进程"));
        }
        // Kill at random moments, often enough that the work cannot drain before the last kill
        // (the receiver answers in 0.6 s: two PostgreSQL workers need about a minute for 400
        // digests) and sometimes late enough that a detection run (a few seconds in debug
        // builds) commits.
        tokio::time::sleep(Duration::from_millis(300 + rand_below(3700))).await;
        // Reap processes that finished on their own.
        let mut alive = Vec::new();
        for mut p in procs.drain(..) {
            match p.try_wait() {
                Ok(Some(st)) => {
                    if !st.success() {
                        return Err(format!("push 进程异常退出：{st}"));
                    }
                    exited_clean += 1;
                }
                _ => alive.push(p),
            }
        }
        procs = alive;
        if procs.is_empty() {
            // Every process finished by itself: if nothing is left to send, more kills would only
            // hit idle runs, so the loop ends here and the check below reports too few kills.
            let store = Store::open(&a.db).await.map_err(|e| e.to_string())?;
            let c = store.outbox_counts(i64::MAX / 2).await.map_err(|e| e.to_string())?;
            store.close().await;
            if c.pending == 0 {
                break;
            }
            continue;
        }
        let i = rand_below(procs.len() as u64) as usize;
        let mut victim = procs.swap_remove(i);
        let killed = victim.kill(); // SIGKILL
        let _ = victim.wait();
        killed.map_err(|e| e.to_string())?;
        kills += 1;
    }
    let kill_loop = started.elapsed();
    // Let the survivors finish (bounded: a survivor still running after 5 minutes is killed too,
    // and the drain below finishes its work).
    let mut overtime_kills = 0;
    for mut p in procs.drain(..) {
        let until = Instant::now() + Duration::from_secs(300);
        loop {
            match p.try_wait().map_err(|e| e.to_string())? {
                Some(st) if st.success() => break,
                Some(st) => return Err(format!("push 进程异常退出：{st}")),
                None if Instant::now() > until => {
                    let _ = p.kill();
                    let _ = p.wait();
                    overtime_kills += 1;
                    break;
                }
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    let survivors = started.elapsed() - kill_loop;
    // Drain: run until nothing is pending (leases left by the last kill expire within 3 s).
    let store = Store::open(&a.db).await.map_err(|e| e.to_string())?;
    for _ in 0..30 {
        let c = store.outbox_counts(i64::MAX / 2).await.map_err(|e| e.to_string())?;
        if c.pending == 0 {
            break;
        }
        run_ok(&mut push_cmd(&a))?;
    }
    let elapsed = started.elapsed();
    let counts = store.outbox_counts(0).await.map_err(|e| e.to_string())?;
    let expected: Vec<_> = store.notifications_for_channel(CHANNEL).await.map_err(|e| e.to_string())?;
    let expected_keys: HashSet<String> = expected.iter().map(|n| n.notification.key.clone()).collect();
    let t = receiver.tally();
    let lost: Vec<&String> = expected_keys.difference(&t.applied).collect();
    let unexpected: Vec<&String> = t.applied.difference(&expected_keys).collect();
    let not_sent = expected.iter().filter(|n| n.state != "sent").count();
    let problems = store.consistency_problems().await.map_err(|e| e.to_string())?;
    // A further run with nothing changed queues nothing.
    let again = run_ok(&mut push_cmd(&a))?;
    let again: Value = again.lines().rev().find_map(|l| serde_json::from_str(l).ok()).unwrap_or(Value::Null);
    let requeued = again.pointer("/run/notifications_queued").and_then(Value::as_u64);
    store.close().await;

    let report = json!({
        "backend": if a.db.starts_with("postgres") { "postgres" } else { "sqlite" },
        "workers": a.workers,
        "enterprises": a.enterprises,
        "kills": kills,
        "processes_that_finished_by_themselves": exited_clean,
        "notifications_expected": expected_keys.len(),
        "messages_sent": counts.sent,
        "applied_once": t.applied.len(),
        "lost": lost.len(),
        "unexpected": unexpected.len(),
        "raw_key_deliveries": t.key_deliveries,
        "raw_duplicate_key_deliveries": t.key_deliveries.saturating_sub(t.applied.len() as u64),
        "duplicate_messages": t.duplicate_messages,
        "http_requests": t.requests.len(),
        "bad_signatures": t.bad_signatures,
        "outbox": {"pending": counts.pending, "sent": counts.sent, "dead": counts.dead},
        "not_sent": not_sent,
        "second_run_queued": requeued,
        "store_problems": problems,
        "seconds": elapsed.as_secs_f64(),
        "seconds_kill_loop": kill_loop.as_secs_f64(),
        "seconds_survivors": survivors.as_secs_f64(),
        "seconds_drain": (elapsed - kill_loop - survivors).as_secs_f64(),
        "survivors_killed_after_5_min": overtime_kills,
    });
    let mut fails = Vec::new();
    if expected_keys.len() < a.min_notifications {
        fails.push(format!("只有 {} 条通知，少于 {}", expected_keys.len(), a.min_notifications));
    }
    if kills < a.kills {
        fails.push(format!("只杀了 {kills} 次"));
    }
    if !lost.is_empty() {
        fails.push(format!("丢失 {} 条", lost.len()));
    }
    if !unexpected.is_empty() {
        fails.push(format!("意外 {} 条", unexpected.len()));
    }
    if not_sent > 0 || counts.pending > 0 || counts.dead > 0 {
        fails.push(format!("未送达：{not_sent}，待发 {}，死信 {}", counts.pending, counts.dead));
    }
    if t.bad_signatures > 0 {
        fails.push(format!("签名错误 {}", t.bad_signatures));
    }
    if requeued != Some(0) {
        fails.push(format!("再次运行又排队了 {requeued:?} 条"));
    }
    if !problems.is_empty() {
        fails.push(format!("数据库一致性问题：{problems:?}"));
    }
    if fails.is_empty() { Ok(report) } else { Err(format!("{}\n{report}", fails.join("；"))) }
}

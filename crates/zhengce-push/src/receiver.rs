//! Local receivers for tests and the crash harness, on 127.0.0.1 only: a small HTTP/1.1 webhook
//! receiver (keep-alive, programmable failures, delays, redirects, signature checks, and a
//! Jepsen-style tally of keys: applied once per key, raw duplicates counted) and an SMTP sink.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// How the HTTP receiver answers.
#[derive(Clone, Debug)]
pub struct Behavior {
    /// The first N requests get a 500.
    pub fail_first: usize,
    /// Percentage of requests answered 500 (after processing nothing).
    pub fail_pct: u32,
    /// Percentage of requests answered only after `hang` (past the client's timeout).
    pub hang_pct: u32,
    /// How long a hanging answer waits.
    pub hang: Duration,
    /// Delay before every answer.
    pub delay: Duration,
    /// Status of a normal answer.
    pub status: u16,
    /// Body of a normal answer.
    pub body: String,
    /// Answer every request with a 307 to this URL.
    pub redirect: Option<String>,
    /// Verify `webhook-signature` with this secret (bad ones are counted and answered 401).
    pub secret: Option<String>,
}

impl Default for Behavior {
    fn default() -> Behavior {
        Behavior {
            fail_first: 0,
            fail_pct: 0,
            hang_pct: 0,
            hang: Duration::from_secs(5),
            delay: Duration::ZERO,
            status: 200,
            body: r#"{"errcode":0,"errmsg":"ok"}"#.into(),
            redirect: None,
            secret: None,
        }
    }
}

/// One received HTTP request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Path with query.
    pub target: String,
    /// Headers, lower-case names.
    pub headers: HashMap<String, String>,
    /// Body.
    pub body: String,
}

/// What the receiver saw.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Every request, in arrival order.
    pub requests: Vec<Request>,
    /// Requests answered 2xx.
    pub accepted: u64,
    /// Keys applied (each once).
    pub applied: HashSet<String>,
    /// Deliveries of keys in accepted requests, duplicates included.
    pub key_deliveries: u64,
    /// Accepted requests whose idempotency key had been accepted before.
    pub duplicate_messages: u64,
    /// Idempotency keys accepted.
    pub message_ids: HashSet<String>,
    /// Requests with a missing or wrong signature.
    pub bad_signatures: u64,
    /// Connections accepted.
    pub connections: u64,
}

/// A running HTTP receiver.
#[derive(Clone)]
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    tally: Arc<Mutex<Tally>>,
    behavior: Arc<Mutex<Behavior>>,
    served: Arc<Mutex<usize>>,
}

fn pct(p: u32) -> bool {
    if p == 0 {
        return false;
    }
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    u32::from_le_bytes(b) % 100 < p
}

impl Receiver {
    /// Starts on 127.0.0.1 with an OS-chosen port.
    pub async fn start(behavior: Behavior) -> std::io::Result<Receiver> {
        Receiver::start_on("127.0.0.1:0", behavior).await
    }

    /// Starts on a given loopback address.
    pub async fn start_on(addr: &str, behavior: Behavior) -> std::io::Result<Receiver> {
        let listener = TcpListener::bind(addr).await?;
        let r = Receiver {
            addr: listener.local_addr()?,
            tally: Arc::default(),
            behavior: Arc::new(Mutex::new(behavior)),
            served: Arc::default(),
        };
        let me = r.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                me.lock_tally().connections += 1;
                let me = me.clone();
                tokio::spawn(async move {
                    let _ = me.serve(sock).await;
                });
            }
        });
        Ok(r)
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A copy of the tally.
    pub fn tally(&self) -> Tally {
        self.lock_tally().clone()
    }

    /// Changes the behaviour.
    pub fn set_behavior(&self, b: Behavior) {
        *self.behavior.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = b;
    }

    fn lock_tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn serve(&self, sock: TcpStream) -> std::io::Result<()> {
        let mut r = BufReader::new(sock);
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let mut headers = HashMap::new();
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).await? == 0 {
                    return Ok(());
                }
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            let mut body = vec![0u8; len.min(16 << 20)];
            r.read_exact(&mut body).await?;
            let req = Request { target, headers, body: String::from_utf8_lossy(&body).into_owned() };
            let (status, extra, text, wait) = self.answer(req);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let reason = if status < 300 { "OK" } else { "Error" };
            let resp = format!(
                "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n{text}",
                text.len()
            );
            r.get_mut().write_all(resp.as_bytes()).await?;
        }
    }

    fn answer(&self, req: Request) -> (u16, String, String, Duration) {
        let b = self.behavior.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let n = {
            let mut s = self.served.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *s += 1;
            *s
        };
        let mut t = self.lock_tally();
        t.requests.push(req.clone());
        if let Some(to) = &b.redirect {
            return (307, format!("location: {to}\r\n"), String::new(), b.delay);
        }
        if let Some(secret) = &b.secret {
            let ok =
                match (req.headers.get("webhook-id"), req.headers.get("webhook-timestamp"), req.headers.get("webhook-signature"))
                {
                    (Some(id), Some(ts), Some(sig)) => {
                        ts.parse::<i64>().is_ok_and(|ts| *sig == crate::send::webhook_signature(secret, id, ts, &req.body))
                    }
                    _ => false,
                };
            if !ok {
                t.bad_signatures += 1;
                return (401, String::new(), r#"{"error":"bad signature"}"#.into(), b.delay);
            }
        }
        if n <= b.fail_first || pct(b.fail_pct) {
            return (500, String::new(), r#"{"error":"boom"}"#.into(), b.delay);
        }
        let hang = pct(b.hang_pct);
        // Apply (the receiver's own idempotency: by message id and by key), then answer.
        if (200..300).contains(&b.status) {
            t.accepted += 1;
            if let Some(id) = req.headers.get("idempotency-key")
                && !t.message_ids.insert(id.clone())
            {
                t.duplicate_messages += 1;
            }
            if let Ok(v) = serde_json::from_str::<Value>(&req.body)
                && let Some(ns) = v.get("notifications").and_then(Value::as_array)
            {
                for k in ns.iter().filter_map(|n| n.get("key").and_then(Value::as_str)) {
                    t.key_deliveries += 1;
                    t.applied.insert(k.to_string());
                }
            }
        }
        (b.status, String::new(), b.body.clone(), if hang { b.hang } else { b.delay })
    }
}

/// One mail the SMTP sink received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// `MAIL FROM` argument.
    pub from: String,
    /// `RCPT TO` arguments.
    pub to: Vec<String>,
    /// The DATA (headers and body, still transfer-encoded).
    pub data: String,
}

/// A minimal SMTP server that stores what it is sent; the first `fail_first` DATA commands are
/// answered 451 (temporary), and `reject_rcpt` makes every RCPT a 550 (permanent).
#[derive(Clone)]
pub struct SmtpSink {
    /// Where it listens.
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    fail_first: Arc<Mutex<usize>>,
    reject_rcpt: bool,
}

impl SmtpSink {
    /// Starts on 127.0.0.1.
    pub async fn start(fail_first: usize, reject_rcpt: bool) -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let s = SmtpSink {
            addr: listener.local_addr()?,
            mails: Arc::default(),
            fail_first: Arc::new(Mutex::new(fail_first)),
            reject_rcpt,
        };
        let me = s.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let me = me.clone();
                tokio::spawn(async move {
                    let _ = me.serve(sock).await;
                });
            }
        });
        Ok(s)
    }

    /// The mails received.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    async fn serve(&self, sock: TcpStream) -> std::io::Result<()> {
        let mut r = BufReader::new(sock);
        r.get_mut().write_all(b"220 sink ESMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let upper = line.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") {
                b"250-sink\r\n250 8BITMIME\r\n"
            } else if upper.starts_with("HELO") || upper.starts_with("RSET") || upper.starts_with("NOOP") {
                b"250 ok\r\n"
            } else if upper.starts_with("MAIL FROM") {
                from = line[10..].trim().to_string();
                to.clear();
                b"250 ok\r\n"
            } else if upper.starts_with("RCPT TO") {
                if self.reject_rcpt {
                    b"550 no such user\r\n"
                } else {
                    to.push(line[8..].trim().to_string());
                    b"250 ok\r\n"
                }
            } else if upper.starts_with("DATA") {
                r.get_mut().write_all(b"354 go ahead\r\n").await?;
                let mut data = String::new();
                loop {
                    let mut l = String::new();
                    if r.read_line(&mut l).await? == 0 {
                        return Ok(());
                    }
                    if l == ".\r\n" || l == ".\n" {
                        break;
                    }
                    data.push_str(&l);
                }
                let fail = {
                    let mut f = self.fail_first.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    if *f > 0 {
                        *f -= 1;
                        true
                    } else {
                        false
                    }
                };
                if fail {
                    b"451 try again later\r\n"
                } else {
                    self.mails.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(Mail {
                        from: from.clone(),
                        to: to.clone(),
                        data,
                    });
                    b"250 queued\r\n"
                }
            } else if upper.starts_with("QUIT") {
                r.get_mut().write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                b"502 not implemented\r\n"
            };
            r.get_mut().write_all(reply).await?;
        }
    }
}

//! Sending one message on one channel: WeCom and DingTalk group robots, a generic JSON webhook
//! (HMAC-SHA256 signed, `Idempotency-Key`), e-mail over SMTP, and JSONL files.
//!
//! Errors are classified for the outbox: [`SendError::Retry`] (timeouts, connection errors, 408,
//! 429, 5xx, a robot's non-zero `errcode`) or [`SendError::Permanent`] (other 4xx, refused
//! addresses, bad addresses), which goes straight to the dead letters.

use std::collections::HashMap;
use std::io::Write as _;
use std::time::Duration;

use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Tokio1Executor};
use serde_json::{Value, json};
use zhengce_store::push::{Channel, ClaimedMessage};

use crate::message::{digest, truncate_bytes};
use crate::ssrf::{Guard, GuardedResolver};

/// Why a send failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try again later.
    #[error("{0}")]
    Retry(String),
    /// Will never work as configured (dead letter at once).
    #[error("{0}")]
    Permanent(String),
}

/// The SMTP relay e-mail goes through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Sender address, e.g. `政策找企业 <push@example.gov.cn>`.
    pub from: String,
    /// STARTTLS/TLS with certificate checks (`false` only for a local relay or a test sink).
    pub tls: bool,
}

impl SmtpConfig {
    /// Parses `smtp://host:port` (plain, local relay) or `smtps://host[:port]` (TLS).
    pub fn parse(url: &str, from: &str) -> Result<SmtpConfig, String> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("smtps://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("smtp://") {
            (false, r)
        } else {
            return Err(format!("SMTP 地址应以 smtp:// 或 smtps:// 开头：{url}"));
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse::<u16>().map_err(|_| format!("SMTP 端口无效：{p}"))?),
            None => (rest.to_string(), if tls { 465 } else { 25 }),
        };
        if host.is_empty() {
            return Err("SMTP 地址缺少主机名".into());
        }
        Ok(SmtpConfig { host, port, from: from.to_string(), tls })
    }
}

/// Signs the generic webhook: base64 HMAC-SHA256 over `{id}.{timestamp}.{body}` (Standard Webhooks).
pub fn webhook_signature(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// DingTalk's robot signature: url-encoded base64 HMAC-SHA256 of `{timestamp_ms}\n{secret}`.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let mut out = String::new();
    for b in b64.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The JSON body of the generic webhook.
pub fn webhook_body(m: &ClaimedMessage) -> Value {
    let (subject, text) = digest(m);
    json!({
        "id": m.id,
        "channel": m.channel,
        "recipient": m.recipient,
        "subject": subject,
        "text": text,
        "notifications": m.notifications.iter().map(|n| json!({
            "key": n.key, "enterprise": n.credit_code, "policy": n.policy, "policy_version": n.policy_version,
            "kind": n.kind, "text": n.text, "detail": n.detail,
        })).collect::<Vec<_>>(),
    })
}

/// One JSONL line per notification (`contracts.md`: key, enterprise, policy, kind, text, …).
pub fn jsonl_lines(m: &ClaimedMessage) -> Vec<String> {
    m.notifications
        .iter()
        .map(|n| {
            json!({
                "key": n.key, "enterprise": n.credit_code, "policy": n.policy, "kind": n.kind, "text": n.text,
                "policy_version": n.policy_version, "channel": n.channel, "message": m.id,
                "title": n.detail.get("title"), "amount_wan": n.detail.get("amount_wan"),
                "deadline": n.detail.get("deadline"), "department": n.detail.get("department"),
            })
            .to_string()
        })
        .collect()
}

/// Sends messages; holds the HTTP clients and the SMTP transport.
pub struct Sender {
    strict: reqwest::Client,
    open: reqwest::Client,
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    guard: Guard,
}

fn client(guard: &Guard, timeout: Duration) -> Result<reqwest::Client, String> {
    let redirect_guard = guard.clone();
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 3 {
            return attempt.error(crate::ssrf::Refused("重定向次数过多".into()));
        }
        match redirect_guard.check_url(attempt.url().as_str()) {
            Ok(_) => attempt.follow(),
            Err(e) => attempt.error(crate::ssrf::Refused(format!("重定向被拒绝：{e}"))),
        }
    });
    let mut b = reqwest::Client::builder().timeout(timeout).connect_timeout(timeout).redirect(policy).no_proxy();
    if !guard.allow_private {
        b = b.dns_resolver(std::sync::Arc::new(GuardedResolver::new(guard.clone())));
    }
    b.build().map_err(|e| e.to_string())
}

impl Sender {
    /// Builds the clients: one guarded by `guard`, one open (for channels an admin allowed).
    pub fn new(guard: Guard, timeout: Duration, smtp: Option<&SmtpConfig>) -> Result<Sender, String> {
        let smtp = match smtp {
            None => None,
            Some(c) => {
                let builder = if c.tls {
                    AsyncSmtpTransport::<Tokio1Executor>::relay(&c.host).map_err(|e| e.to_string())?
                } else {
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host)
                };
                let transport = builder.port(c.port).timeout(Some(timeout)).build();
                let from: Mailbox = c.from.parse().map_err(|e| format!("发件人地址无效 {}：{e}", c.from))?;
                Some((transport, from))
            }
        };
        Ok(Sender { strict: client(&guard, timeout)?, open: client(&Guard::open(), timeout)?, smtp, guard })
    }

    /// Sends one message on its channel (not JSONL: see [`write_jsonl`]). `now_ms` dates signatures.
    pub async fn send(&self, ch: &Channel, m: &ClaimedMessage, now_ms: i64) -> Result<(), SendError> {
        match ch.kind.as_str() {
            "webhook" => {
                let body = webhook_body(m).to_string();
                let ts = now_ms / 1000;
                let req = self
                    .http(ch)?
                    .post(self.url(ch, &ch.target)?)
                    .header("content-type", "application/json")
                    .header("idempotency-key", m.id.as_str())
                    .header("webhook-id", m.id.as_str())
                    .header("webhook-timestamp", ts.to_string())
                    .header("webhook-signature", webhook_signature(&ch.secret, &m.id, ts, &body))
                    .body(body);
                check_http(req.send().await, false).await
            }
            "wecom" => {
                let (_, text) = digest(m);
                let body = json!({"msgtype": "markdown", "markdown": {"content": truncate_bytes(&text, 4096)}});
                let req = self.http(ch)?.post(self.url(ch, &ch.target)?).json(&body);
                check_http(req.send().await, true).await
            }
            "dingtalk" => {
                let (subject, text) = digest(m);
                let mut url = ch.target.clone();
                if !ch.secret.is_empty() {
                    let sep = if url.contains('?') { '&' } else { '?' };
                    url = format!("{url}{sep}timestamp={now_ms}&sign={}", dingtalk_sign(&ch.secret, now_ms));
                }
                let body = json!({"msgtype": "markdown", "markdown": {"title": subject, "text": truncate_bytes(&text, 4096)}});
                let req = self.http(ch)?.post(self.url(ch, &url)?).json(&body);
                check_http(req.send().await, true).await
            }
            "email" => self.email(ch, m).await,
            other => Err(SendError::Permanent(format!("未知的渠道类型 {other}"))),
        }
    }

    fn http(&self, ch: &Channel) -> Result<&reqwest::Client, SendError> {
        Ok(if ch.allow_private { &self.open } else { &self.strict })
    }

    fn url(&self, ch: &Channel, url: &str) -> Result<reqwest::Url, SendError> {
        let guard = if ch.allow_private { Guard::open() } else { self.guard.clone() };
        guard.check_url(url).map_err(SendError::Permanent)
    }

    async fn email(&self, ch: &Channel, m: &ClaimedMessage) -> Result<(), SendError> {
        let Some((transport, from)) = &self.smtp else {
            return Err(SendError::Retry("未配置 SMTP 服务器（ZHENGCE_SMTP_URL）".into()));
        };
        let to: Mailbox = ch.target.parse().map_err(|e| SendError::Permanent(format!("收件人地址无效 {}：{e}", ch.target)))?;
        let (subject, body) = digest(m);
        let email = lettre::Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{}@zhengce.push>", m.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| SendError::Permanent(format!("邮件无法生成：{e}")))?;
        match transport.send(email).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("邮件被拒收：{e}"))),
            Err(e) => Err(SendError::Retry(format!("邮件发送失败：{e}"))),
        }
    }
}

/// Classifies an HTTP answer; `robot` answers carry `{"errcode": 0}` on success.
async fn check_http(res: Result<reqwest::Response, reqwest::Error>, robot: bool) -> Result<(), SendError> {
    let res = match res {
        Ok(r) => r,
        Err(e) => {
            let refused = std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
                .find_map(|e| e.downcast_ref::<crate::ssrf::Refused>().map(|r| r.0.clone()));
            if let Some(msg) = refused {
                return Err(SendError::Permanent(msg));
            }
            let what = if e.is_timeout() {
                "超时"
            } else if e.is_connect() {
                "无法连接"
            } else {
                "请求失败"
            };
            return Err(SendError::Retry(format!("{what}：{e}")));
        }
    };
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    if status.is_success() {
        if robot {
            let code = serde_json::from_str::<Value>(&body).ok().and_then(|v| v.get("errcode").and_then(Value::as_i64));
            if code != Some(0) {
                return Err(SendError::Retry(format!("机器人返回错误：{}", truncate_bytes(&body, 300))));
            }
        }
        return Ok(());
    }
    let msg = format!("HTTP {}：{}", status.as_u16(), truncate_bytes(&body, 300));
    if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
        Err(SendError::Retry(msg))
    } else {
        Err(SendError::Permanent(msg))
    }
}

/// Appends the lines of these messages to their JSONL files and syncs them to disk; every message
/// of a file that could not be written fails with `Retry`. Returns (message id, result).
pub fn write_jsonl(batch: &[(&Channel, &ClaimedMessage)]) -> Vec<(String, Result<(), SendError>)> {
    let mut by_file: HashMap<&str, Vec<&ClaimedMessage>> = HashMap::new();
    for (ch, m) in batch {
        by_file.entry(ch.target.as_str()).or_default().push(m);
    }
    let mut out = Vec::new();
    for (path, msgs) in by_file {
        let result = (|| -> std::io::Result<()> {
            if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            for m in &msgs {
                for line in jsonl_lines(m) {
                    w.write_all(line.as_bytes())?;
                    w.write_all(b"\n")?;
                }
            }
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_data()
        })();
        let result = result.map_err(|e| SendError::Retry(format!("无法写入 {path}：{e}")));
        out.extend(msgs.iter().map(|m| (m.id.clone(), result.clone())));
    }
    out
}

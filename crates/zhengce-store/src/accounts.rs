//! Accounts: users with a role, cookie sessions that expire when idle, and revocable API tokens.
//!
//! Passwords are stored as argon2id PHC strings; session ids and API tokens are random 256-bit
//! values stored only as SHA-256 hex, so a copy of the database gives no way in. Every login,
//! token issue and revocation goes to the audit log with the actor, in the same transaction.

use std::fmt;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;

use crate::audit::append_in;
use crate::{Store, StoreError};

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users and everything officers do.
    Admin,
    /// A county officer: every enterprise of the county.
    Officer,
    /// An enterprise: only its own profile and matches.
    Enterprise,
}

impl Role {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Officer => "officer",
            Role::Enterprise => "enterprise",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Officer => "工作人员",
            Role::Enterprise => "企业",
        }
    }

    /// Whether this role sees every enterprise (officers and admins).
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Officer)
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "admin" => Ok(Role::Admin),
            "officer" => Ok(Role::Officer),
            "enterprise" => Ok(Role::Enterprise),
            _ => Err(format!("角色 `{s}` 无效，可选：admin、officer、enterprise")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user account (never carries the password hash out of this module).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    /// Numeric id.
    pub id: i64,
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The credit code an enterprise account is bound to (`None` for staff).
    pub enterprise: Option<String>,
    /// The department a staff member works for (handles requests dispatched to it).
    pub department: Option<String>,
    /// Staff with the dispatch permission (派单) for enterprise requests.
    pub can_dispatch: bool,
}

impl User {
    /// The actor string written to profile versions and the audit log.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.role.as_str(), self.name)
    }

    /// Whether this user may dispatch requests (admins always may).
    pub fn dispatches(&self) -> bool {
        self.role == Role::Admin || (self.role.is_staff() && self.can_dispatch)
    }

    /// Whether this user may read and change the enterprise `code`.
    pub fn may_access(&self, code: &str) -> bool {
        self.role.is_staff() || self.enterprise.as_deref() == Some(code)
    }
}

/// A new user to create.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    /// Login name (unique).
    pub name: &'a str,
    /// Role.
    pub role: Role,
    /// Bound enterprise (required for, and only for, `Role::Enterprise`).
    pub enterprise: Option<&'a str>,
    /// The password in clear (hashed here).
    pub password: &'a str,
    /// The department of a staff member (handles requests dispatched to it).
    pub department: Option<&'a str>,
    /// A staff member with the dispatch permission (派单).
    pub can_dispatch: bool,
}

/// A logged-in session: who and its CSRF token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The user.
    pub user: User,
    /// The CSRF token forms must echo.
    pub csrf: String,
}

/// A fresh random secret (session id, API token, CSRF token): 256 bits as hex.
pub fn random_secret() -> Result<String, StoreError> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
    Ok(hex(&buf))
}

/// SHA-256 hex of a secret, the only form secrets are stored in.
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let hash: PasswordHash = argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| StoreError::Corrupt(format!("password hashing failed: {e}")))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The smallest password length accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

fn user_from_row(r: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        role: role.parse().map_err(StoreError::Corrupt)?,
        enterprise: r.try_get("enterprise")?,
        department: r.try_get("department")?,
        can_dispatch: r.try_get::<i64, _>("can_dispatch")? != 0,
    })
}

impl Store {
    /// Creates a user; refuses a taken name, a short password, or a role/enterprise mismatch.
    pub async fn add_user(&self, new: &NewUser<'_>, actor: &str, at_ms: i64) -> Result<User, StoreError> {
        if new.name.trim().is_empty() || new.name.chars().count() > 64 {
            return Err(StoreError::Invalid("用户名不能为空，且不超过64个字符".into()));
        }
        if new.password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(StoreError::Invalid(format!("密码至少 {MIN_PASSWORD_CHARS} 个字符")));
        }
        match (new.role, new.enterprise) {
            (Role::Enterprise, None) => {
                return Err(StoreError::Invalid("企业账号必须绑定统一社会信用代码（--enterprise）".into()));
            }
            (Role::Admin | Role::Officer, Some(_)) => {
                return Err(StoreError::Invalid("只有企业账号可以绑定企业（--enterprise）".into()));
            }
            _ => {}
        }
        let department = new.department.map(str::trim).filter(|d| !d.is_empty());
        if !new.role.is_staff() && (department.is_some() || new.can_dispatch) {
            return Err(StoreError::Invalid("只有工作人员账号可以设置部门（--department）或派单权限（--dispatch）".into()));
        }
        if department.is_some_and(|d| d.chars().count() > 64) {
            return Err(StoreError::Invalid("部门名称不能超过64个字符（--department）".into()));
        }
        let hash = hash_password(new.password)?;
        let mut tx = self.begin_write().await?;
        let taken =
            sqlx::query("SELECT id FROM users WHERE name = $1").bind(new.name.to_string()).fetch_optional(&mut *tx).await?;
        if taken.is_some() {
            return Err(StoreError::Invalid(format!("用户名 `{}` 已存在", new.name)));
        }
        let id: i64 = sqlx::query("UPDATE counters SET value = value + 1 WHERE name = 'user_id' RETURNING value")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let enterprise = new.enterprise.map(str::to_string);
        // Optional text columns are written as a literal NULL, never bound as a typed NULL.
        let (e_sql, d_sql) = match (&enterprise, department) {
            (Some(_), Some(_)) => ("$4", "$5"),
            (Some(_), None) => ("$4", "NULL"),
            (None, Some(_)) => ("NULL", "$4"),
            (None, None) => ("NULL", "NULL"),
        };
        let n = 4 + usize::from(enterprise.is_some()) + usize::from(department.is_some());
        let insert = format!(
            "INSERT INTO users (id, name, role, enterprise, department, can_dispatch, password_hash, created_at, disabled) \
             VALUES ($1, $2, $3, {e_sql}, {d_sql}, ${n}, ${}, ${}, 0)",
            n + 1,
            n + 2
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(insert)).bind(id).bind(new.name.to_string()).bind(new.role.as_str());
        if let Some(e) = &enterprise {
            q = q.bind(e.clone());
        }
        if let Some(d) = department {
            q = q.bind(d.to_string());
        }
        q.bind(i64::from(new.can_dispatch)).bind(hash).bind(at_ms).execute(&mut *tx).await?;
        let detail =
            json!({"role": new.role.as_str(), "enterprise": enterprise, "department": department, "dispatch": new.can_dispatch});
        append_in(&mut tx, at_ms, actor, "user_add", new.name, &detail).await?;
        tx.commit().await?;
        Ok(User {
            id,
            name: new.name.to_string(),
            role: new.role,
            enterprise,
            department: department.map(str::to_string),
            can_dispatch: new.can_dispatch,
        })
    }

    /// How many users exist (a fresh store has none; `serve` then explains how to add the first admin).
    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM users").fetch_one(self.pool()).await?.try_get(0)?)
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query("SELECT id, name, role, enterprise, department, can_dispatch FROM users ORDER BY name")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Checks a name and password; on success opens a session and returns (session secret, session).
    /// Success and failure are both audited.
    pub async fn login(&self, name: &str, password: &str, at_ms: i64) -> Result<Option<(String, Session)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, role, enterprise, department, can_dispatch, password_hash, disabled FROM users WHERE name = $1",
        )
        .bind(name.to_string())
        .fetch_optional(self.pool())
        .await?;
        let ok = row.as_ref().and_then(|r| {
            let hash: String = r.try_get("password_hash").ok()?;
            let disabled: i64 = r.try_get("disabled").ok()?;
            (disabled == 0 && verify_password(password, &hash)).then_some(r)
        });
        let Some(r) = ok else {
            self.append_audit(at_ms, &format!("anonymous:{name}"), "login_failed", name, &json!({})).await?;
            return Ok(None);
        };
        let user = user_from_row(r)?;
        let secret = random_secret()?;
        let csrf = random_secret()?;
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf, created_at, last_seen) VALUES ($1, $2, $3, $4, $4)")
            .bind(secret_hash(&secret))
            .bind(user.id)
            .bind(csrf.clone())
            .bind(at_ms)
            .execute(&mut *tx)
            .await?;
        append_in(&mut tx, at_ms, &user.actor(), "login", &user.name, &json!({})).await?;
        tx.commit().await?;
        Ok(Some((secret, Session { user, csrf })))
    }

    /// The session of a secret, if it exists and was used within `idle_ms`; touches it.
    pub async fn session(&self, secret: &str, at_ms: i64, idle_ms: i64) -> Result<Option<Session>, StoreError> {
        let id_hash = secret_hash(secret);
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role, u.enterprise, u.department, u.can_dispatch, u.disabled, s.csrf, s.last_seen FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
        )
        .bind(id_hash.clone())
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let last_seen: i64 = r.try_get("last_seen")?;
        let disabled: i64 = r.try_get("disabled")?;
        if disabled != 0 || at_ms - last_seen > idle_ms {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(self.pool()).await?;
            return Ok(None);
        }
        // Touch at most once a minute, so reads stay reads.
        if at_ms - last_seen > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen = $1 WHERE id_hash = $2")
                .bind(at_ms)
                .bind(id_hash)
                .execute(self.pool())
                .await?;
        }
        Ok(Some(Session { user: user_from_row(&r)?, csrf: r.try_get("csrf")? }))
    }

    /// Ends a session.
    pub async fn logout(&self, secret: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(secret_hash(secret)).execute(self.pool()).await?;
        Ok(())
    }

    /// Issues an API token for a user; returns the token in clear (shown once).
    pub async fn issue_token(&self, user: &User, label: &str, at_ms: i64) -> Result<String, StoreError> {
        let token = format!("zc_{}", random_secret()?);
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO api_tokens (token_hash, user_id, label, created_at, revoked_at) VALUES ($1, $2, $3, $4, NULL)")
            .bind(secret_hash(&token))
            .bind(user.id)
            .bind(label.to_string())
            .bind(at_ms)
            .execute(&mut *tx)
            .await?;
        append_in(&mut tx, at_ms, &user.actor(), "token_issue", &user.name, &json!({"label": label})).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The user of a live API token.
    pub async fn token_user(&self, token: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role, u.enterprise, u.department, u.can_dispatch FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0",
        )
        .bind(secret_hash(token))
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Revokes every live token of `user` with `label`; returns how many.
    pub async fn revoke_tokens(&self, user: &User, label: &str, actor: &str, at_ms: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND label = $3 AND revoked_at IS NULL")
            .bind(at_ms)
            .bind(user.id)
            .bind(label.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        append_in(&mut tx, at_ms, actor, "token_revoke", &user.name, &json!({"label": label, "revoked": n})).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Sets a staff member's department (`None`: none) and dispatch permission; audited.
    pub async fn set_user_duties(
        &self,
        name: &str,
        department: Option<&str>,
        can_dispatch: bool,
        actor: &str,
        at_ms: i64,
    ) -> Result<User, StoreError> {
        let department = department.map(str::trim).filter(|d| !d.is_empty());
        if department.is_some_and(|d| d.chars().count() > 64) {
            return Err(StoreError::Invalid("部门名称不能超过64个字符（--department）".into()));
        }
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT id, name, role, enterprise, department, can_dispatch FROM users WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Err(StoreError::Invalid(format!("没有用户 `{name}`"))) };
        let mut user = user_from_row(&row)?;
        if !user.role.is_staff() && (department.is_some() || can_dispatch) {
            return Err(StoreError::Invalid("只有工作人员账号可以设置部门（--department）或派单权限（--dispatch）".into()));
        }
        let sql = if department.is_some() {
            "UPDATE users SET department = $1, can_dispatch = $2 WHERE id = $3"
        } else {
            "UPDATE users SET department = NULL, can_dispatch = $1 WHERE id = $2"
        };
        let mut q = sqlx::query(sql);
        if let Some(d) = department {
            q = q.bind(d.to_string());
        }
        q.bind(i64::from(can_dispatch)).bind(user.id).execute(&mut *tx).await?;
        append_in(&mut tx, at_ms, actor, "user_duties", name, &json!({"department": department, "dispatch": can_dispatch}))
            .await?;
        tx.commit().await?;
        user.department = department.map(str::to_string);
        user.can_dispatch = can_dispatch;
        Ok(user)
    }

    /// A user by name.
    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT id, name, role, enterprise, department, can_dispatch FROM users WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }
}

//! Opening the store: URL handling, the durability check and migrations.
//!
//! SQLite connections get `journal_mode=WAL`, `synchronous=FULL`, `foreign_keys=ON` and
//! `busy_timeout=5000` on connect, and every connection reads them back; a connection that does not
//! report exactly that is refused (so `sqlite::memory:`, a read-only medium that cannot hold a WAL,
//! or a filesystem that silently drops WAL all fail loudly). PostgreSQL must report `fsync=on`,
//! `full_page_writes=on` and a durable `synchronous_commit`.

use std::path::Path;
use std::time::Duration;

use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Connection as _, Executor as _, Row as _, SqlSafeStr as _, Transaction};

use crate::StoreError;

/// The SQLite busy timeout we set and require, in milliseconds.
const BUSY_TIMEOUT_MS: i64 = 5000;

/// Which database engine a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (the default).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// An open, checked, migrated store. Cheap to clone (a connection pool).
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// A durability problem found on a fresh connection; carried through sqlx as a configuration error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct DurabilityError(String);

/// The default database: an SQLite file in the `data` folder of the working directory.
pub fn default_db_url() -> String {
    "data/zhengce.db".to_string()
}

/// Turns what the user typed (`postgres://…`, `sqlite://…`, or a plain file path) into a sqlx URL,
/// creating the parent folder of an SQLite file.
pub fn normalize_url(input: &str) -> Result<(String, Backend), StoreError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(StoreError::BadUrl("地址为空".into()));
    }
    if input.starts_with("postgres://") || input.starts_with("postgresql://") {
        return Ok((input.to_string(), Backend::Postgres));
    }
    if let Some(rest) = input.strip_prefix("sqlite:") {
        let bare = rest.strip_prefix("//").unwrap_or(rest);
        if bare.starts_with(":memory:") || rest.contains("mode=memory") {
            // Let it through: the durability check refuses it with a clear message.
            return Ok(("sqlite::memory:".to_string(), Backend::Sqlite));
        }
        let (path, query) = bare.split_once('?').unwrap_or((bare, ""));
        let mut url = file_url(Path::new(path))?;
        if !query.is_empty() {
            url = format!("{url}&{query}");
        }
        return Ok((url, Backend::Sqlite));
    }
    if input.contains("://") {
        return Err(StoreError::BadUrl(format!("{input}（支持 sqlite:///路径、postgres://… 或文件路径）")));
    }
    Ok((file_url(Path::new(input))?, Backend::Sqlite))
}

/// `sqlite:///abs/path?mode=rwc` for a file path, creating its folder.
fn file_url(path: &Path) -> Result<String, StoreError> {
    let abs = std::path::absolute(path).map_err(|e| StoreError::io(path, e))?;
    if let Some(parent) = abs.parent() {
        std::fs::create_dir_all(parent).map_err(|e| StoreError::io(parent, e))?;
    }
    let mut encoded = String::new();
    for c in abs.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' | ' ' | '"' | '<' | '>' | '`' | '{' | '}' => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    encoded.push_str(&format!("%{b:02X}"));
                }
            }
            _ => encoded.push(c),
        }
    }
    Ok(format!("sqlite://{encoded}?mode=rwc"))
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(parts) => parts,
        None => return url.to_string(),
    };
    let user = auth.split_once(':').map_or(auth, |(u, _)| u);
    format!("{scheme}://{user}:***@{host}")
}

/// Checks SQLite settings read back from a connection; the error says what is wrong, in Chinese.
pub fn check_sqlite_settings(
    journal_mode: &str,
    synchronous: i64,
    foreign_keys: i64,
    busy_timeout_ms: i64,
) -> Result<(), String> {
    let mut problems = Vec::new();
    if !journal_mode.eq_ignore_ascii_case("wal") {
        problems.push(format!("journal_mode 为 {journal_mode}，需要 wal（内存数据库或不支持 WAL 的文件系统不可用）"));
    }
    if synchronous != 2 {
        problems.push(format!("synchronous 为 {synchronous}，需要 2（FULL），否则断电可能丢失已提交的数据"));
    }
    if foreign_keys != 1 {
        problems.push(format!("foreign_keys 为 {foreign_keys}，需要 1（开启外键约束）"));
    }
    if busy_timeout_ms < BUSY_TIMEOUT_MS {
        problems.push(format!("busy_timeout 为 {busy_timeout_ms} 毫秒，需要至少 {BUSY_TIMEOUT_MS} 毫秒"));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("；")) }
}

/// Checks PostgreSQL settings (`SHOW fsync`, `SHOW full_page_writes`, `SHOW synchronous_commit`).
pub fn check_pg_settings(fsync: &str, full_page_writes: &str, synchronous_commit: &str) -> Result<(), String> {
    let mut problems = Vec::new();
    if fsync != "on" {
        problems.push(format!("fsync 为 {fsync}，需要 on，否则服务器崩溃可能损坏数据库"));
    }
    if full_page_writes != "on" {
        problems.push(format!("full_page_writes 为 {full_page_writes}，需要 on"));
    }
    if !matches!(synchronous_commit, "on" | "local" | "remote_write" | "remote_apply") {
        problems.push(format!("synchronous_commit 为 {synchronous_commit}，需要 on，否则可能丢失已确认的提交"));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("；")) }
}

/// Sets and verifies the SQLite pragmas on a fresh connection.
async fn prepare_sqlite(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA synchronous = FULL").await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    conn.execute("PRAGMA busy_timeout = 5000").await?;
    let journal: String = sqlx::query("PRAGMA journal_mode").fetch_one(&mut *conn).await?.try_get(0)?;
    let sync: i64 = sqlx::query("PRAGMA synchronous").fetch_one(&mut *conn).await?.try_get(0)?;
    let fk: i64 = sqlx::query("PRAGMA foreign_keys").fetch_one(&mut *conn).await?.try_get(0)?;
    let busy: i64 = sqlx::query("PRAGMA busy_timeout").fetch_one(&mut *conn).await?.try_get(0)?;
    check_sqlite_settings(&journal, sync, fk, busy).map_err(|m| sqlx::Error::Configuration(Box::new(DurabilityError(m))))
}

/// Verifies the PostgreSQL durability settings on a fresh connection.
async fn prepare_pg(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    let mut show =
        async |what: &'static str| -> Result<String, sqlx::Error> { sqlx::query(what).fetch_one(&mut *conn).await?.try_get(0) };
    let fsync = show("SHOW fsync").await?;
    let fpw = show("SHOW full_page_writes").await?;
    let sc = show("SHOW synchronous_commit").await?;
    check_pg_settings(&fsync, &fpw, &sc).map_err(|m| sqlx::Error::Configuration(Box::new(DurabilityError(m))))
}

fn migrations(backend: Backend) -> Vec<Migration> {
    let guard = match backend {
        Backend::Sqlite => include_str!("../migrations/0002_audit_append_only.sqlite.sql"),
        Backend::Postgres => include_str!("../migrations/0002_audit_append_only.postgres.sql"),
    };
    vec![
        Migration::new(
            1,
            "init".into(),
            MigrationType::Simple,
            include_str!("../migrations/0001_init.sql").into_sql_str(),
            false,
        ),
        Migration::new(2, "audit append-only".into(), MigrationType::Simple, guard.into_sql_str(), false),
        Migration::new(
            3,
            "accounts".into(),
            MigrationType::Simple,
            include_str!("../migrations/0003_accounts.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            "push".into(),
            MigrationType::Simple,
            include_str!("../migrations/0004_push.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            "requests".into(),
            MigrationType::Simple,
            include_str!("../migrations/0005_requests.sql").into_sql_str(),
            false,
        ),
    ]
}

fn map_connect_error(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Configuration(inner) = &e
        && let Some(d) = inner.downcast_ref::<DurabilityError>()
    {
        return StoreError::Durability(d.0.clone());
    }
    StoreError::Db(e)
}

impl Store {
    /// Opens (creating if needed) the store at `url`, checks durability settings and runs migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (url, backend) = normalize_url(url)?;
        let opts = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    match backend {
                        Backend::Sqlite => prepare_sqlite(conn).await,
                        Backend::Postgres => prepare_pg(conn).await,
                    }
                })
            });
        // Check one connection first: a refusal then comes back at once, not as a pool timeout.
        let mut first =
            AnyConnection::connect(&url).await.map_err(|e| StoreError::Connect { url: redact(&url), message: e.to_string() })?;
        match backend {
            Backend::Sqlite => prepare_sqlite(&mut first).await,
            Backend::Postgres => prepare_pg(&mut first).await,
        }
        .map_err(map_connect_error)?;
        first.close().await?;
        let pool = opts.connect(&url).await.map_err(map_connect_error)?;
        let store = Store { pool, backend };
        Migrator::with_migrations(migrations(backend)).run(&store.pool).await?;
        Ok(store)
    }

    /// The engine in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection (SQLite then checkpoints its WAL).
    pub async fn close(self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`, waiting up to `busy_timeout`), so a read-then-write transaction never
    /// fails half-way with a stale snapshot.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Consistency check for tests and operators: SQLite `integrity_check` and `foreign_key_check`
    /// (empty when all is well); PostgreSQL relies on its own constraints, so it returns empty.
    pub async fn consistency_problems(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        if self.backend == Backend::Sqlite {
            let mut conn = self.pool.acquire().await?;
            for row in sqlx::query("PRAGMA integrity_check").fetch_all(&mut *conn).await? {
                let msg: String = row.try_get(0)?;
                if msg != "ok" {
                    problems.push(msg);
                }
            }
            let fk = sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut *conn).await?;
            if !fk.is_empty() {
                problems.push(format!("{} 行违反外键约束", fk.len()));
            }
        }
        Ok(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_settings_each_wrong_value_is_refused() {
        assert_eq!(check_sqlite_settings("wal", 2, 1, 5000), Ok(()));
        assert_eq!(check_sqlite_settings("WAL", 2, 1, 60000), Ok(()));
        for (j, s, f, b, word) in [
            ("memory", 2, 1, 5000, "journal_mode"),
            ("delete", 2, 1, 5000, "journal_mode"),
            ("wal", 1, 1, 5000, "synchronous"),
            ("wal", 0, 1, 5000, "synchronous"),
            ("wal", 3, 1, 5000, "synchronous"),
            ("wal", 2, 0, 5000, "foreign_keys"),
            ("wal", 2, 1, 0, "busy_timeout"),
            ("wal", 2, 1, 4999, "busy_timeout"),
        ] {
            let err = check_sqlite_settings(j, s, f, b).expect_err(word);
            assert!(err.contains(word), "{err}");
        }
    }

    #[test]
    fn pg_settings_each_wrong_value_is_refused() {
        assert_eq!(check_pg_settings("on", "on", "on"), Ok(()));
        assert_eq!(check_pg_settings("on", "on", "remote_apply"), Ok(()));
        assert!(check_pg_settings("off", "on", "on").is_err_and(|e| e.contains("fsync")));
        assert!(check_pg_settings("on", "off", "on").is_err_and(|e| e.contains("full_page_writes")));
        assert!(check_pg_settings("on", "on", "off").is_err_and(|e| e.contains("synchronous_commit")));
    }

    #[test]
    fn urls() {
        let (u, b) = normalize_url("postgres://u:p@localhost/db").expect("pg");
        assert_eq!((u.as_str(), b), ("postgres://u:p@localhost/db", Backend::Postgres));
        let dir = std::env::temp_dir().join("zhengce store url test");
        let (u, b) = normalize_url(&dir.join("a#b.db").to_string_lossy()).expect("path");
        assert_eq!(b, Backend::Sqlite);
        assert!(u.starts_with("sqlite:///") && u.ends_with("a%23b.db?mode=rwc"), "{u}");
        assert!(u.contains("zhengce%20store%20url%20test"), "{u}");
        let (u, _) = normalize_url(&format!("sqlite://{}", dir.join("c.db").display())).expect("sqlite url");
        assert!(u.ends_with("/c.db?mode=rwc"), "{u}");
        assert!(normalize_url("mysql://x").is_err());
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert!(normalize_url("  ").is_err());
    }
}

//! The store's error type: user errors (bad file, unsafe database settings) and internal ones.

use std::path::PathBuf;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database does not give the durability the service needs (user error: fix the URL or server).
    #[error("数据库不满足持久性要求，拒绝打开：{0}")]
    Durability(String),
    /// The database URL is not understood (user error).
    #[error("数据库地址无法识别：{0}")]
    BadUrl(String),
    /// The database cannot be reached (user error: wrong host, port, credentials or path).
    #[error("无法连接数据库 {url}：{message}")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// The cause.
        message: String,
    },
    /// The input cannot be used (user error): a profile whose credit code does not match its key, ….
    #[error("{0}")]
    BadFile(String),
    /// A file could not be read or written.
    #[error("无法读写文件 {path}：{source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A request the store refuses (user error): a taken user name, a short password, ….
    #[error("{0}")]
    Invalid(String),
    /// The request loop refuses a transition (wrong role, wrong state or bad input), or a
    /// concurrent change got there first.
    #[error("{0}")]
    Refused(zhengce_model::request::Refusal),
    /// The enterprise is not in the store.
    #[error("库中没有统一社会信用代码为 {0} 的企业")]
    UnknownEnterprise(String),
    /// A stored value cannot be read back (internal).
    #[error("库中数据损坏：{0}")]
    Corrupt(String),
    /// A database error (internal).
    #[error("数据库错误：{0}")]
    Db(#[from] sqlx::Error),
    /// A migration failed (internal).
    #[error("数据库迁移失败：{0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the error is the user's to fix (exit status 2) rather than an internal failure.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            StoreError::Durability(_)
                | StoreError::BadUrl(_)
                | StoreError::Connect { .. }
                | StoreError::BadFile(_)
                | StoreError::Io { .. }
                | StoreError::UnknownEnterprise(_)
                | StoreError::Invalid(_)
                | StoreError::Refused(_)
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StoreError {
        StoreError::Io { path: path.into(), source }
    }
}

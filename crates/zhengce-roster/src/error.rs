//! The roster error type: the user's to fix (a file that cannot be read or used) or internal.

use std::path::PathBuf;

use zhengce_store::StoreError;

/// Everything that can go wrong importing a roster or seeding the demo county.
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    /// The input file cannot be used at all (user error): unsupported type, no header row, ….
    #[error("{0}")]
    BadFile(String),
    /// A file could not be read (user error).
    #[error("无法读写文件 {path}：{source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A generated demo record failed validation (internal: the generator and the schema disagree).
    #[error("演示数据未通过档案校验（生成器与规则库不一致）：{0}")]
    DemoInvalid(String),
    /// The store failed (see [`StoreError::is_user_error`]).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RosterError {
    /// Whether the error is the user's to fix (exit status 2) rather than an internal failure.
    pub fn is_user_error(&self) -> bool {
        match self {
            RosterError::BadFile(_) | RosterError::Io { .. } => true,
            RosterError::DemoInvalid(_) => false,
            RosterError::Store(e) => e.is_user_error(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> RosterError {
        RosterError::Io { path: path.into(), source }
    }
}

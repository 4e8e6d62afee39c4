//! Where the data lives and how writers share it.
//!
//! One data directory holds the SQLite store (and later the search index). Writers
//! (`import`, `ingest`) take an exclusive lock on it so that each sees the threading state
//! the previous one left; readers (`serve`) need no lock thanks to SQLite's WAL.

use std::fs::File;
use std::path::{Path, PathBuf};

pub const DEFAULT_DATA: &str = "./larch-data";

/// An exclusive lock on a data directory, released when dropped.
pub struct WriteLock {
    _file: File,
}

impl WriteLock {
    /// Waits for the lock.
    pub fn acquire(data: &Path) -> anyhow::Result<WriteLock> {
        std::fs::create_dir_all(data)?;
        let file = File::create(data.join("write.lock"))?;
        file.lock()?;
        Ok(WriteLock { _file: file })
    }

    /// Tries for up to `secs` seconds; `None` if another writer keeps it.
    pub fn try_acquire(data: &Path, secs: u64) -> anyhow::Result<Option<WriteLock>> {
        std::fs::create_dir_all(data)?;
        let file = File::create(data.join("write.lock"))?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(WriteLock { _file: file })),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
            }
        }
    }
}

pub fn data_dir(arg: Option<PathBuf>) -> PathBuf {
    arg.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA))
}

//! Giving freed memory back to the system. glibc's allocator keeps what a thread frees in
//! that thread's arena for reuse, and returns it to the system only from the top of the
//! main heap. An import or an index build frees and allocates hundreds of megabytes of
//! message text on several threads, so the process's resident memory kept growing
//! long after the live data had stopped: at 250,000 messages an import holding about
//! 390 MB of live data was resident at 700 MB. Trimming every arena now and then gives
//! the freed pages back.

use std::time::Duration;

/// Returns the allocator's free pages to the system (glibc only; elsewhere nothing).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists, under its locks;
    // it takes no pointer and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Trims every `every` on a thread of its own, for as long as the process runs.
pub fn spawn_trimmer(every: Duration) {
    let spawned = std::thread::Builder::new()
        .name("memory-trim".into())
        .spawn(move || {
            loop {
                std::thread::sleep(every);
                trim();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot start the memory trimmer: {e}");
    }
}

//! Helpers shared by the unit tests.

/// Runs `f` on a thread with a 256 KiB stack, a fraction of a tokio worker's: code that
/// recursed over a sender-controlled structure would overflow it and fail the test.
pub fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn a test thread")
        .join()
        .expect("the work finished without overflowing the stack")
}

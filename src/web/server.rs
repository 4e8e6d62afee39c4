//! The HTTP server loop: accepts connections and serves the router on each, with the limits
//! a public server needs against slow or hostile clients. `axum::serve` has no header-read
//! or idle timeout and no connection cap, so a few hundred clients that open connections
//! and trickle bytes (or stop reading a download) would hold the server's sockets and
//! memory for as long as they liked.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, Response, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// Limits on what one client may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time to send a request's headers, from the first byte to the blank line.
    pub header_read: Duration,
    /// A connection on which nothing moves either way for this long is closed: an idle
    /// keep-alive, a client that stopped reading a download, a stalled upload.
    pub idle: Duration,
    /// Connections served at once; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// How long a stop waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl Limits {
    /// The defaults, with `LARCH_HEADER_TIMEOUT_SECS`, `LARCH_IDLE_TIMEOUT_SECS` and
    /// `LARCH_MAX_CONNECTIONS` applied when set.
    pub fn from_env() -> Self {
        Limits::default().with_env()
    }

    /// These limits, with the environment's applied over them (the environment wins over
    /// the configuration file).
    pub fn with_env(self) -> Self {
        let mut l = self;
        let num = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
        if let Some(s) = num("LARCH_HEADER_TIMEOUT_SECS").filter(|s| *s > 0) {
            l.header_read = Duration::from_secs(s);
        }
        if let Some(s) = num("LARCH_IDLE_TIMEOUT_SECS").filter(|s| *s > 0) {
            l.idle = Duration::from_secs(s);
        }
        if let Some(n) = num("LARCH_MAX_CONNECTIONS").filter(|n| *n > 0) {
            l.max_connections = n as usize;
        }
        l
    }
}

/// How long a connection is kept, once the server is stopping, after its last answer (or
/// after the stop, if it was idle then). A client that sends its next request on a
/// kept-alive connection just as the server closes it gets a reset instead of an answer,
/// and may not retry; within this window such a request is answered, with
/// `Connection: close`, and the connection ends cleanly after it. Only a client idle for
/// this long is closed without a word, as at any idle timeout.
const STOP_LINGER: Duration = Duration::from_millis(500);

/// Serves `app` on `listener` until `shutdown` resolves, then stops: the listening socket
/// is closed at once (a new client is refused, not left waiting), every answer from then
/// on closes its connection, a connection is closed once it has been quiet for
/// [`STOP_LINGER`], and requests in flight finish, downloads included, up to the grace
/// period.
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let stopping = Arc::new(AtomicBool::new(false));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Every connection's task holds a sender; `recv` answers `None` once all are gone.
    let (alive_tx, mut alive_rx) = tokio::sync::mpsc::channel::<()>(1);
    let serve = |stream: TcpStream, permit: Option<tokio::sync::OwnedSemaphorePermit>| {
        let _ = stream.set_nodelay(true);
        // The client's address, for login throttling and trusted proxies.
        let peer = stream.peer_addr().ok();
        let io = TokioIo::new(Deadline::new(stream, limits.idle));
        let activity = Arc::new(Activity::default());
        let service = {
            let (app, stopping, activity) = (app.clone(), stopping.clone(), activity.clone());
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                if let Some(p) = peer {
                    req.extensions_mut().insert(axum::extract::ConnectInfo(p));
                }
                let app = app.clone();
                let stopping = stopping.clone();
                let busy = Busy::start(activity.clone());
                async move {
                    let res = app.oneshot(req).await?;
                    let (mut parts, body) = res.into_parts();
                    if stopping.load(Ordering::Relaxed) {
                        parts
                            .headers
                            .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    }
                    let body = Tracked {
                        inner: body,
                        _busy: busy,
                    };
                    Ok::<_, std::convert::Infallible>(Response::from_parts(parts, body))
                }
            })
        };
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read)
            .serve_connection(io, service);
        let (mut stop, alive) = (stop_rx.clone(), alive_tx.clone());
        tokio::spawn(async move {
            let mut conn = std::pin::pin!(conn);
            let ended = tokio::select! {
                _ = conn.as_mut() => true,
                () = activity.quiet_after_stop(&mut stop) => false,
            };
            if !ended {
                // Closes it now if idle, else after the answer being written.
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
            drop(permit);
            drop(alive);
        });
    };
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        serve(stream, Some(permit));
    }
    let stop_started = Instant::now();
    stopping.store(true, Ordering::Relaxed);
    // Clients whose connection the kernel completed before the stop have sent, or are
    // sending, a request: closing the socket with them in its queue would reset them.
    // The socket itself is asked until it has none left: tokio's `accept` answers only
    // what its event loop has seen, and may not have seen the latest arrivals yet.
    match listener.into_std() {
        Ok(std_listener) => {
            while let Ok((stream, _)) = std_listener.accept() {
                let stream = stream
                    .set_nonblocking(true)
                    .and_then(|()| TcpStream::from_std(stream));
                match stream {
                    Ok(stream) => serve(stream, None),
                    Err(e) => tracing::warn!("cannot serve a connection at the stop: {e}"),
                }
            }
        }
        Err(e) => tracing::warn!("cannot take the last connections at the stop: {e}"),
    }
    let _ = stop_tx.send(true);
    drop(alive_tx);
    match tokio::time::timeout(limits.shutdown_grace, alive_rx.recv()).await {
        Ok(_) => tracing::debug!(
            "every connection closed {:?} after the stop",
            stop_started.elapsed()
        ),
        Err(_) => tracing::warn!("stopping with requests still in flight"),
    }
    Ok(())
}

/// What one connection is doing, for deciding when a stopping server may close it.
#[derive(Default)]
struct Activity {
    /// Requests whose answer is not written yet (a download counts until its last byte).
    in_flight: AtomicUsize,
    /// When the last answer was written.
    last_end: std::sync::Mutex<Option<Instant>>,
}

impl Activity {
    /// Resolves once the server is stopping and this connection has had nothing in flight
    /// for [`STOP_LINGER`].
    async fn quiet_after_stop(&self, stop: &mut tokio::sync::watch::Receiver<bool>) {
        if stop.wait_for(|s| *s).await.is_err() {
            // The server loop is gone without a stop: nothing will ask this connection
            // to close.
            return std::future::pending().await;
        }
        let stopped = Instant::now();
        loop {
            if self.in_flight.load(Ordering::Acquire) > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            let last = self.last_end.lock().ok().and_then(|l| *l);
            let due = last.map_or(stopped, |l| l.max(stopped)) + STOP_LINGER;
            if Instant::now() >= due {
                return;
            }
            tokio::time::sleep_until(due).await;
        }
    }
}

/// One request in flight on a connection, from its head read to its answer's last byte
/// written (or given up).
struct Busy(Arc<Activity>);

impl Busy {
    fn start(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Ok(mut l) = self.0.last_end.lock() {
            *l = Some(Instant::now());
        }
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer's body that keeps its request counted as in flight until hyper has written
/// it all (and drops it). Sizes pass through, so `Content-Length` is kept.
struct Tracked {
    inner: axum::body::Body,
    _busy: Busy,
}

impl hyper::body::Body for Tracked {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// A socket that fails with `TimedOut` when neither reading nor writing has made progress
/// for the idle period while one of them waits. Progress only records the time; the timer
/// is moved to the new deadline when an operation has to wait, so a busy connection costs
/// no timer work per read or write.
struct Deadline {
    inner: TcpStream,
    idle: Duration,
    last: Instant,
    timer: Pin<Box<Sleep>>,
}

impl Deadline {
    fn new(inner: TcpStream, idle: Duration) -> Self {
        Deadline {
            inner,
            idle,
            last: Instant::now(),
            timer: Box::pin(tokio::time::sleep(idle)),
        }
    }

    /// What an operation answered, with the deadline applied: progress moves it, waiting
    /// past it fails.
    fn settle<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
        moved: bool,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(r) => {
                if moved {
                    self.last = Instant::now();
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                let due = self.last + self.idle;
                if self.timer.deadline() != due {
                    self.timer.as_mut().reset(due);
                }
                match self.timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "connection idle for too long",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

/// Whether a write moved bytes.
fn wrote(p: &Poll<io::Result<usize>>) -> bool {
    matches!(p, Poll::Ready(Ok(n)) if *n > 0)
}

impl AsyncRead for Deadline {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        let moved = buf.filled().len() > before;
        this.settle(cx, polled, moved)
    }
}

impl AsyncWrite for Deadline {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        let moved = wrote(&polled);
        this.settle(cx, polled, moved)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        let moved = wrote(&polled);
        this.settle(cx, polled, moved)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.settle(cx, polled, false)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Resolves on Ctrl-C or SIGTERM (what systemd sends to stop a service).
pub async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

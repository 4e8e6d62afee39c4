//! `/metrics`: what the server has done and how the archive stands, in Prometheus' text
//! exposition format (version 0.0.4), written by hand: the format is a few lines of text
//! and a client library would be the heaviest dependency of the web layer for it.
//!
//! Requests are counted by the route pattern the router matched, never by the path asked
//! for: label values make time series, and a client must not be able to make new ones by
//! inventing URLs. What the router did not match is one value, `unmatched`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{Display, Write as _};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::store::spool::DeliveryStats;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The `route` label of a request no route matched.
const UNMATCHED: &str = "unmatched";

/// Store readings are kept this long: a scrape must stay cheap however often it comes,
/// and a second-old count is as good as a fresh one to a monitor.
const GAUGE_TTL: Duration = Duration::from_secs(1);

/// Since the process started.
pub struct Metrics {
    started: SystemTime,
    routes: Mutex<HashMap<String, RouteStats>>,
    gauges: tokio::sync::Mutex<Option<(Instant, Gauges)>>,
}

#[derive(Default, Clone)]
struct RouteStats {
    statuses: BTreeMap<u16, u64>,
    /// Requests per bucket, not cumulative (the exposition adds them up); one more for
    /// those slower than the last bound.
    buckets: [u64; BUCKETS.len() + 1],
    seconds: f64,
    count: u64,
}

/// What a scrape reads from the store and the file system. `None`: the reading failed
/// (logged), and its samples are left out rather than failing the whole scrape.
#[derive(Clone, Copy, Default)]
struct Gauges {
    messages: Option<i64>,
    rejects: Option<i64>,
    search_lag: Option<i64>,
    spool_depth: Option<u64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: SystemTime::now(),
            routes: Mutex::default(),
            gauges: tokio::sync::Mutex::default(),
        }
    }
}

impl Metrics {
    fn observe(&self, route: &str, status: StatusCode, took: Duration) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        // Routes are a fixed set, so this allocates once per route for the process's life.
        let stats = match routes.get_mut(route) {
            Some(s) => s,
            None => routes.entry(route.to_string()).or_default(),
        };
        *stats.statuses.entry(status.as_u16()).or_default() += 1;
        let secs = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        stats.buckets[bucket] += 1;
        stats.seconds += secs;
        stats.count += 1;
    }

    async fn gauges(&self, st: &AppState) -> Gauges {
        let mut cached = self.gauges.lock().await;
        if let Some((at, g)) = *cached
            && at.elapsed() < GAUGE_TTL
        {
            return g;
        }
        let counts = st
            .store
            .archive_counts()
            .await
            .map_err(|e| tracing::warn!("metrics: cannot read the store's counts: {e:#}"))
            .ok();
        let search_lag = st
            .search
            .lag(&st.store)
            .await
            .map_err(|e| tracing::warn!("metrics: cannot read the search lag: {e:#}"))
            .ok();
        let spool_depth = match st.live.spool.clone() {
            // A directory listing: off the async workers, as a large backlog makes it long.
            Some(spool) => tokio::task::spawn_blocking(move || spool.depth())
                .await
                .ok(),
            None => None,
        };
        let g = Gauges {
            messages: counts.as_ref().map(|c| c.messages),
            rejects: counts.as_ref().map(|c| c.rejects),
            search_lag,
            spool_depth,
        };
        *cached = Some((Instant::now(), g));
        g
    }
}

/// Counts every request by matched route and status, and times it up to the response's
/// head (a streamed download's body may take longer; its time is the client's as much as
/// ours).
pub async fn track(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let started = Instant::now();
    let res = next.run(req).await;
    st.metrics.observe(
        route.as_ref().map_or(UNMATCHED, MatchedPath::as_str),
        res.status(),
        started.elapsed(),
    );
    res
}

/// The exposition. Never cached: each scrape reads the counters as they are.
pub async fn scrape(State(st): State<Arc<AppState>>) -> Response {
    let g = st.metrics.gauges(&st).await;
    let mut out = Exposition::default();

    out.family("build_info", "gauge", "The running larch's version.");
    out.sample("build_info", &[("version", env!("CARGO_PKG_VERSION"))], 1);
    out.family(
        "start_time_seconds",
        "gauge",
        "When the server started, in seconds since the Unix epoch.",
    );
    let started = st
        .metrics
        .started
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    out.sample("start_time_seconds", &[], started);

    write_requests(&mut out, &st.metrics);

    out.gauge(
        "messages_stored",
        "Messages in the lists' archives, from the per-month counts (a message in two lists counts twice; one without a date is not counted).",
        g.messages,
    );
    out.gauge(
        "rejects_stored",
        "Messages that could not be stored, kept with their source and reason.",
        g.rejects,
    );
    out.gauge(
        "search_index_lag",
        "Queued store changes the search index has not applied yet.",
        g.search_lag,
    );
    out.gauge(
        "search_index_docs",
        "Entries in the search index.",
        Some(st.search.doc_count()),
    );
    out.gauge(
        "search_indexer_failing_rounds",
        "Index catch-up rounds that failed in a row (0 when the last one worked).",
        Some(st.search.failures()),
    );
    out.counter(
        "search_index_skipped_rows_total",
        "Damaged message rows left out of the index.",
        st.search.skipped(),
    );
    out.counter(
        "page_cache_hits_total",
        "Cached pages answered from the page cache.",
        st.cache.hits(),
    );
    out.counter(
        "page_cache_misses_total",
        "Cached pages rendered because the page cache did not hold them.",
        st.cache.renders(),
    );
    out.gauge(
        "page_cache_bytes",
        "Bytes the page cache holds.",
        Some(st.cache.bytes()),
    );

    write_deliveries(&mut out, &st.live.stats);
    if let Some(depth) = g.spool_depth {
        out.gauge(
            "spool_depth",
            "Deliveries waiting in the spool for the store.",
            Some(depth),
        );
    }

    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        out.0,
    )
        .into_response()
}

fn write_requests(out: &mut Exposition, metrics: &Metrics) {
    // A copy, so that requests are not held up while the text is written.
    let routes: BTreeMap<String, RouteStats> = match metrics.routes.lock() {
        Ok(r) => r.iter().map(|(k, s)| (k.clone(), s.clone())).collect(),
        Err(_) => BTreeMap::new(),
    };
    out.family(
        "http_requests_total",
        "counter",
        "HTTP requests answered, by matched route pattern and status code.",
    );
    for (route, s) in &routes {
        for (status, n) in &s.statuses {
            let status = status.to_string();
            out.sample(
                "http_requests_total",
                &[("route", route), ("status", &status)],
                n,
            );
        }
    }
    let name = "http_request_duration_seconds";
    out.family(
        name,
        "histogram",
        "Time to answer a request, up to its response head, by matched route pattern.",
    );
    for (route, s) in &routes {
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(&s.buckets) {
            cumulative += n;
            let le = bound.to_string();
            out.sample(
                &format!("{name}_bucket"),
                &[("route", route), ("le", &le)],
                cumulative,
            );
        }
        out.sample(
            &format!("{name}_bucket"),
            &[("route", route), ("le", "+Inf")],
            s.count,
        );
        out.sample(&format!("{name}_sum"), &[("route", route)], s.seconds);
        out.sample(&format!("{name}_count"), &[("route", route)], s.count);
    }
}

fn write_deliveries(out: &mut Exposition, s: &DeliveryStats) {
    let get = DeliveryStats::get;
    out.counter(
        "deliveries_spooled_total",
        "Deliveries the archiver API wrote into the spool.",
        get(&s.spooled),
    );
    out.counter(
        "deliveries_drained_total",
        "Spool files taken into the store, whatever became of them.",
        get(&s.drained),
    );
    out.counter(
        "deliveries_stored_total",
        "Delivered messages stored as new.",
        get(&s.stored),
    );
    out.counter(
        "deliveries_duplicates_total",
        "Delivered messages the store already held.",
        get(&s.duplicates),
    );
    out.counter(
        "deliveries_rejected_total",
        "Delivered messages that could not be read, kept with the rejects.",
        get(&s.rejected),
    );
    out.family(
        "deliveries_skipped_total",
        "counter",
        "Delivered messages not archived, by reason.",
    );
    out.sample(
        "deliveries_skipped_total",
        &[("reason", "x-no-archive")],
        get(&s.skipped_no_archive),
    );
    out.counter(
        "delivery_drain_failures_total",
        "Spool drain rounds that failed (their messages wait in the spool).",
        get(&s.drain_failures),
    );
    out.counter(
        "deliveries_unreadable_total",
        "Spool files that could not be read back, moved aside to bad/.",
        get(&s.unreadable),
    );
}

/// The text being written; every name gets the `larch_` prefix here.
#[derive(Default)]
struct Exposition(String);

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.0, "# HELP larch_{name} {help}");
        let _ = writeln!(self.0, "# TYPE larch_{name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        let _ = write!(self.0, "larch_{name}");
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                let _ = write!(self.0, "{k}=\"{}\"", escape_label(v));
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    /// A gauge without labels; left out when its reading failed.
    fn gauge(&mut self, name: &str, help: &str, value: Option<impl Display>) {
        if let Some(v) = value {
            self.family(name, "gauge", help);
            self.sample(name, &[], v);
        }
    }

    fn counter(&mut self, name: &str, help: &str, value: u64) {
        self.family(name, "counter", help);
        self.sample(name, &[], value);
    }
}

fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_end_with_the_count() {
        let m = Metrics::default();
        for ms in [1, 3, 20, 700, 30_000] {
            m.observe("/x", StatusCode::OK, Duration::from_millis(ms));
        }
        m.observe("/x", StatusCode::NOT_FOUND, Duration::from_millis(1));
        let mut out = Exposition::default();
        write_requests(&mut out, &m);
        let text = out.0;
        assert!(text.contains("larch_http_requests_total{route=\"/x\",status=\"200\"} 5\n"));
        assert!(text.contains("larch_http_requests_total{route=\"/x\",status=\"404\"} 1\n"));
        assert!(
            text.contains("_bucket{route=\"/x\",le=\"0.005\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("_bucket{route=\"/x\",le=\"0.025\"} 4\n"),
            "{text}"
        );
        assert!(
            text.contains("_bucket{route=\"/x\",le=\"10\"} 5\n"),
            "{text}"
        );
        assert!(
            text.contains("_bucket{route=\"/x\",le=\"+Inf\"} 6\n"),
            "{text}"
        );
        assert!(text.contains("larch_http_request_duration_seconds_count{route=\"/x\"} 6\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

//! Mailman 3's archiver protocol, as its `mailman-hyperkitty` plugin (1.2.1) speaks it, so
//! that a Mailman 3 site archives into larch with the plugin as it ships: a delivery
//! (`POST archive`, a form with `mlist` and the file `message`) and the address of a list
//! or of a message (`GET urls`), each answering `{"url": …}`.
//!
//! The plugin treats every answer but a 200 carrying that JSON as a failure: it keeps the
//! message in its own queue and sends it again before the next one. So a delivery is
//! answered 200 only once its message is in the spool (fsync'd, see `store::spool`), and
//! anything that might pass (the spool failing) answers 503. The store takes spooled
//! messages later; the address answered is the one the message's page will have then.
//!
//! Errors answer JSON, never the site's HTML error page: the plugin logs the body of a
//! failed answer, and a list admin reads that log.

use std::sync::Arc;

use axum::extract::multipart::{Field, Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};

use super::{AppState, Live, urls};
use crate::domain::normalize::{self, Origin};
use crate::domain::{MAX_MESSAGE_SIZE, OVERSIZED_KEPT_BYTES};
use crate::store::spool::{DeliveryStats, Envelope, Privacy, check_list_name};

type St = State<Arc<AppState>>;

/// Longest `mlist` read: an address, a few dozen bytes.
const MAX_MLIST: usize = 1024;

/// The delivery route. The site's body limit (2 MB) would turn away mail that `larch
/// ingest` takes; instead the form is read as it streams in, holding at most one message
/// of the size limit (see [`read_message`]), and the site's request timeout ends an upload
/// that never does.
pub fn archive_route() -> MethodRouter<Arc<AppState>> {
    post(archive).layer(DefaultBodyLimit::disable())
}

/// An answer the plugin logs: a status and a JSON `{"error": …}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<MultipartError> for ApiError {
    fn from(e: MultipartError) -> ApiError {
        // 413 past the body limit, 400 for a form that does not parse.
        ApiError::new(e.status(), e.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = json(self.status, serde_json::json!({ "error": self.message }));
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
        }
        res
    }
}

/// Every answer of the API: JSON that no cache may keep, since it depends on the key sent
/// and on what the archive holds at that moment.
fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        value.to_string(),
    )
        .into_response()
}

fn url_answer(st: &AppState, path: &str) -> Response {
    json(
        StatusCode::OK,
        serde_json::json!({ "url": urls::absolute(&st.base_url, path) }),
    )
}

/// Lets through a request carrying the configured key (`Authorization: Token KEY`). Without
/// a configured key the API does not exist (404), so that a server nobody set up for
/// Mailman shows nothing of it.
fn authorize(st: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(key) = st.live.archiver_key.as_deref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "the archiver API is off: the server has no archiver key",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("token"))
        .map(|(_, k)| k.trim());
    match given {
        Some(k) if crate::domain::secret::same_secret(k.as_bytes(), key.as_bytes()) => Ok(()),
        _ => {
            tracing::warn!("archiver API: refused a request without the archiver key");
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "a missing or wrong archiver key",
            ))
        }
    }
}

/// The list a `list@domain` names: the name `[mailman_lists]` gives the address, else its
/// local part; held to the rule of live deliveries either way.
fn list_name(live: &Live, mlist: &str) -> Result<String, ApiError> {
    let name = address_list(live, mlist);
    check_list_name(name).map_err(|why| ApiError::bad(format!("mlist: {why}")))?;
    Ok(name.to_string())
}

/// The list name a Mailman 3 list address stands for (`[mailman_lists]`, else the local
/// part); also how HyperKitty's `/list/LIST@DOMAIN/` URLs are read.
pub(super) fn address_list<'a>(live: &'a Live, mlist: &'a str) -> &'a str {
    let mlist = mlist.trim();
    match live
        .mailman_lists
        .iter()
        .find(|(address, _)| address.eq_ignore_ascii_case(mlist))
    {
        Some((_, name)) => name.as_str(),
        None => mlist.split('@').next().unwrap_or_default(),
    }
}

/// The `message` file, as `larch ingest` reads standard input: whole up to `limit` bytes;
/// past it only its first [`OVERSIZED_KEPT_BYTES`] are kept (with `Some(limit)`), the rest
/// read and dropped, so that the store records a reject and the plugin, answered 200, does
/// not send the message again and again.
async fn read_message(
    field: &mut Field<'_>,
    limit: u64,
) -> Result<(Vec<u8>, Option<u64>), MultipartError> {
    let mut data = Vec::new();
    let mut over = false;
    while let Some(chunk) = field.chunk().await? {
        if !over && (data.len() + chunk.len()) as u64 > limit {
            over = true;
        }
        let room = if over {
            OVERSIZED_KEPT_BYTES.saturating_sub(data.len())
        } else {
            chunk.len()
        };
        data.extend_from_slice(&chunk[..room.min(chunk.len())]);
    }
    if over {
        data.truncate(OVERSIZED_KEPT_BYTES);
        data.shrink_to_fit();
    }
    Ok((data, over.then_some(limit)))
}

/// A short text field, read no further than `max` bytes.
async fn read_text(field: &mut Field<'_>, max: usize) -> Result<String, ApiError> {
    let mut data = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if data.len() + chunk.len() > max {
            return Err(ApiError::bad(format!(
                "the {} field is longer than {max} bytes",
                field.name().unwrap_or_default()
            )));
        }
        data.extend_from_slice(&chunk);
    }
    String::from_utf8(data).map_err(|_| ApiError::bad("a form field is not UTF-8"))
}

/// `POST /api/mailman/archive`: spools the message and answers the address its page will
/// have once the store has taken it.
async fn archive(
    State(st): St,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    // Before the body is read: a stranger's upload costs nothing but its headers.
    authorize(&st, &headers)?;
    let mut form = form.map_err(|e| ApiError::new(e.status(), e.body_text()))?;
    let limit = st.live.max_message_size.unwrap_or(MAX_MESSAGE_SIZE);
    let mut mlist = None;
    let mut message = None;
    while let Some(mut field) = form.next_field().await? {
        let name = field.name().map(str::to_owned);
        match name.as_deref() {
            Some("mlist") => mlist = Some(read_text(&mut field, MAX_MLIST).await?),
            Some("message") => message = Some(read_message(&mut field, limit).await?),
            // Fields another version of the plugin might add are read past.
            _ => {}
        }
    }
    let mlist = mlist.ok_or_else(|| ApiError::bad("the form has no mlist field"))?;
    let list = list_name(&st.live, &mlist)?;
    let (message, over_limit) =
        message.ok_or_else(|| ApiError::bad("the form has no message file"))?;
    if over_limit.is_none() && message.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad("the message is empty"));
    }
    let Some(spool) = st.live.spool.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server has no spool to take deliveries",
        ));
    };
    let envelope = Envelope {
        list: list.clone(),
        privacy: Privacy::Default,
        via: "api".into(),
        over_limit,
    };
    // Writing and fsyncing, then parsing up to 64 MiB: blocking work, off the async workers.
    let done = tokio::task::spawn_blocking(move || {
        spool.put(&envelope, &message).map(|name| {
            (
                name,
                over_limit.is_none().then(|| identify(&message)).flatten(),
            )
        })
    })
    .await;
    let (name, identity) = match done {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => {
            tracing::error!("archiver API: cannot spool a message for {list}: {e}");
            return Err(spool_failed());
        }
        Err(e) => {
            tracing::error!("archiver API: spooling a message for {list} failed: {e}");
            return Err(spool_failed());
        }
    };
    DeliveryStats::add(&st.live.stats.spooled, 1);
    tracing::info!("archiver API: spooled {name} for {list}");
    let path = match identity {
        Some((id, hash)) => urls::message(&list, &forecast_key(&st, id, &hash).await),
        // The store will keep it as a reject, with no page of its own: the list's page is
        // the nearest address there is.
        None => urls::list(&list),
    };
    Ok(url_answer(&st, &path))
}

/// The plugin queues the message and sends it again later, which is what a failing disk
/// or a full one needs.
fn spool_failed() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the archive cannot take the message right now; send it again later",
    )
}

/// The Message-ID and content hash the store will file the message under, read as the
/// store's own reader reads a live delivery (a leading mbox `From ` line is not part of
/// the message); `None` for a message the store will keep as a reject.
fn identify(message: &[u8]) -> Option<(String, [u8; 32])> {
    let body = if message.starts_with(b"From ") {
        let end = message
            .iter()
            .position(|&b| b == b'\n')
            .map_or(message.len(), |i| i + 1);
        &message[end..]
    } else {
        message
    };
    normalize::normalize(body, Origin::default())
        .ok()
        .map(|n| (n.message_id, n.content_hash))
}

/// The key the store will give a message, as its duplicate check decides it: the key of a
/// stored message with the same id and content (a copy, or a cross-post), else its id,
/// else (another message holds the id) a variant key. Read before the store takes the
/// message, so a message of the same id still waiting in the spool is not seen; that only
/// happens to reused Message-IDs.
async fn forecast_key(st: &AppState, id: String, hash: &[u8; 32]) -> String {
    let existing = match st.store.existing(&id).await {
        Ok(e) => e,
        Err(e) => {
            // The message is safe in the spool; only the address may be off, for a variant.
            tracing::warn!("archiver API: cannot look up <{id}>: {e}");
            return id;
        }
    };
    if let Some(same) = existing.iter().find(|e| e.content_hash == hash[..]) {
        return same.mkey.clone();
    }
    if existing.is_empty() {
        id
    } else {
        normalize::variant_key(&id, hash)
    }
}

/// `GET /api/mailman/urls?mlist=…[&msgid=…]`: the address of a list, or of a message in
/// it. A message not yet taken from the spool (the plugin asks right after delivering, and
/// before, for the `Archived-At` header) gets the address its page will have. Private
/// lists are answered too: the plugin holds the key, and shows the address only to the
/// list's own members.
pub async fn urls(
    State(st): St,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    authorize(&st, &headers)?;
    let mut mlist = None;
    let mut msgid = None;
    for (k, v) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
        match &*k {
            "mlist" => mlist = Some(v.into_owned()),
            "msgid" => msgid = Some(v.into_owned()),
            _ => {}
        }
    }
    let list = list_name(
        &st.live,
        &mlist.ok_or_else(|| ApiError::bad("mlist is missing"))?,
    )?;
    let Some(msgid) = msgid else {
        return Ok(url_answer(&st, &urls::list(&list)));
    };
    let id = msgid.trim().trim_start_matches('<').trim_end_matches('>');
    if id.is_empty() {
        return Err(ApiError::bad("msgid is empty"));
    }
    Ok(url_answer(
        &st,
        &urls::message(&list, &stored_key(&st, &list, id).await),
    ))
}

/// The key of the message `id` in `list` once stored (a variant's own key when the list
/// holds one); its id when the list does not hold it yet.
async fn stored_key(st: &AppState, list: &str, id: &str) -> String {
    match st.store.placements(id).await {
        Ok(places) => places
            .into_iter()
            .find(|p| p.list == list)
            .map_or_else(|| id.to_string(), |p| p.mkey),
        Err(e) => {
            tracing::warn!("archiver API: cannot look up <{id}>: {e}");
            id.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::spool::Spool;
    use crate::web::{Live, WebConfig};
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    const BASE: &str = "https://lists.example.org";
    const KEY: &str = "s3cret-key";

    struct App {
        router: Router,
        store: Store,
        stats: Arc<DeliveryStats>,
        dir: tempfile::TempDir,
    }

    impl App {
        fn spooled(&self) -> Vec<Vec<u8>> {
            let new = self.dir.path().join("spool/new");
            let mut names: Vec<_> = std::fs::read_dir(new)
                .map(|d| d.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            names.sort();
            names.iter().map(|p| std::fs::read(p).unwrap()).collect()
        }
    }

    async fn app(key: Option<&str>, with_spool: bool) -> App {
        app_with(key, with_spool, |_| {}).await
    }

    async fn app_with(key: Option<&str>, with_spool: bool, tune: impl FnOnce(&mut Live)) -> App {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let search = Arc::new(crate::search::Search::for_store(&store).unwrap());
        let stats = Arc::new(DeliveryStats::default());
        let mut live = Live {
            spool: with_spool.then(|| Arc::new(Spool::open(dir.path()).unwrap())),
            stats: stats.clone(),
            archiver_key: key.map(str::to_string),
            ..Default::default()
        };
        tune(&mut live);
        let config = WebConfig {
            base_url: Some(format!("{BASE}/")),
            live,
            limits: None,
            auth: Default::default(),
            language: None,
        };
        App {
            router: crate::web::router_configured(store.clone(), search, &config),
            store,
            stats,
            dir,
        }
    }

    /// The form as the plugin's `requests.post(data=…, files=…)` sends it.
    fn form(mlist: Option<&str>, message: Option<&[u8]>) -> (String, Vec<u8>) {
        let boundary = "b0undary7e1f";
        let mut body = Vec::new();
        if let Some(m) = mlist {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"mlist\"\r\n\r\n{m}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some(msg) = message {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"message\"; \
                     filename=\"message.txt\"\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(msg);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), body)
    }

    fn post(auth: Option<&str>, ctype: &str, body: Vec<u8>) -> Request<Body> {
        let mut r = Request::post(urls::MAILMAN_ARCHIVE).header(header::CONTENT_TYPE, ctype);
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, a);
        }
        r.body(Body::from(body)).unwrap()
    }

    fn get(auth: Option<&str>, query: &str) -> Request<Body> {
        let mut r = Request::get(format!("{}?{query}", urls::MAILMAN_URLS));
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, a);
        }
        r.body(Body::empty()).unwrap()
    }

    /// Status and JSON body of an answer, which must be JSON whatever its status.
    async fn call(app: &App, req: Request<Body>) -> (StatusCode, serde_json::Value) {
        let res = app.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let ctype = res.headers().get(header::CONTENT_TYPE).cloned();
        assert_eq!(
            ctype.as_ref().and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{status}"
        );
        assert_eq!(
            res.headers().get(header::CACHE_CONTROL).unwrap(),
            "no-store"
        );
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {body:?}"));
        (status, value)
    }

    fn token() -> String {
        format!("Token {KEY}")
    }

    const MESSAGE: &[u8] = b"From: Jane <jane@example.org>\r\nTo: dev@example.org\r\n\
        Subject: Hello\r\nMessage-ID: <hello.1@example.org>\r\n\
        Date: Tue, 1 Apr 2025 10:00:00 +0000\r\n\r\nHi all.\r\n";

    #[tokio::test]
    async fn without_a_key_configured_the_api_does_not_exist() {
        let app = app(None, true).await;
        let (ctype, body) = form(Some("dev@example.org"), Some(MESSAGE));
        let (status, v) = call(&app, post(Some(&token()), &ctype, body)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(v["error"].is_string(), "{v}");
        let (status, _) = call(&app, get(Some(&token()), "mlist=dev@example.org")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(app.spooled().is_empty());
    }

    #[tokio::test]
    async fn a_missing_or_wrong_key_is_refused_and_nothing_is_spooled() {
        let app = app(Some(KEY), true).await;
        let wrong = [
            None,
            Some("Token wrong"),
            Some("Token s3cret-ke"),
            Some("Token s3cret-key2"),
            Some("Bearer s3cret-key"),
            Some("s3cret-key"),
            Some("Token "),
        ];
        for auth in wrong {
            let (ctype, body) = form(Some("dev@example.org"), Some(MESSAGE));
            let res = app
                .router
                .clone()
                .oneshot(post(auth, &ctype, body))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
            assert_eq!(
                res.headers().get(header::WWW_AUTHENTICATE).unwrap(),
                "Token"
            );
            let (status, v) = call(&app, get(auth, "mlist=dev@example.org")).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
            assert!(v["error"].is_string(), "{v}");
        }
        assert!(app.spooled().is_empty());
        assert_eq!(DeliveryStats::get(&app.stats.spooled), 0);
        // The scheme is read as HTTP reads schemes, case aside.
        let (status, _) = call(
            &app,
            get(Some(&format!("token {KEY}")), "mlist=dev@example.org"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_delivery_is_spooled_and_answered_with_its_future_address() {
        let app = app(Some(KEY), true).await;
        let (ctype, body) = form(Some("dev@example.org"), Some(MESSAGE));
        let (status, v) = call(&app, post(Some(&token()), &ctype, body)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(
            v,
            serde_json::json!({ "url": "https://lists.example.org/dev/m/hello.1@example.org/" })
        );
        let spooled = app.spooled();
        assert_eq!(spooled.len(), 1);
        let (taken, bad) = Spool::open(app.dir.path())
            .unwrap()
            .take(10, u64::MAX)
            .unwrap();
        assert!(bad.is_empty());
        assert_eq!(taken[0].data, MESSAGE, "the bytes as sent");
        assert_eq!(
            taken[0].envelope,
            Envelope {
                list: "dev".into(),
                privacy: Privacy::Default,
                via: "api".into(),
                over_limit: None,
            }
        );
        assert_eq!(DeliveryStats::get(&app.stats.spooled), 1);
    }

    #[tokio::test]
    async fn the_address_of_a_message_without_an_id_is_the_one_the_store_will_make() {
        let app = app(Some(KEY), true).await;
        let message = b"From: Jane <jane@example.org>\nSubject: No id\n\nBody.\n";
        let generated = normalize::normalize(message, Origin::default())
            .unwrap()
            .message_id;
        assert!(generated.ends_with("@generated.larch.invalid"));
        // With an mbox envelope line before it, as `larch ingest` also takes it.
        let mut enveloped = b"From jane@example.org Tue Apr  1 10:00:00 2025\n".to_vec();
        enveloped.extend_from_slice(message);
        for m in [&message[..], &enveloped] {
            let (ctype, body) = form(Some("dev@example.org"), Some(m));
            let (status, v) = call(&app, post(Some(&token()), &ctype, body)).await;
            assert_eq!(status, StatusCode::OK, "{v}");
            assert_eq!(
                v["url"],
                format!("{BASE}{}", urls::message("dev", &generated))
            );
        }
    }

    /// A message already stored under its id: a copy keeps that key, another message of the
    /// same id gets the variant key the store's duplicate check will give it.
    #[tokio::test]
    async fn copies_and_variants_get_the_keys_the_store_will_give_them() {
        let app = app(Some(KEY), true).await;
        let n = normalize::normalize(MESSAGE, Origin::default()).unwrap();
        let raw = crate::store::compress(MESSAGE).unwrap();
        let mut batch = app.store.begin().await.unwrap();
        batch
            .insert_message(&crate::store::NewMessage {
                mkey: "hello.1@example.org",
                n: &n,
                raw_compressed: &raw,
                raw_size: MESSAGE.len(),
                source: "test",
                offset: 0,
            })
            .await
            .unwrap();
        batch.commit().await.unwrap();

        let (ctype, body) = form(Some("other@example.org"), Some(MESSAGE));
        let (_, v) = call(&app, post(Some(&token()), &ctype, body)).await;
        assert_eq!(v["url"], format!("{BASE}/other/m/hello.1@example.org/"));

        let variant = String::from_utf8_lossy(MESSAGE).replace("Hi all.", "Hi again.");
        let hash = normalize::normalize(variant.as_bytes(), Origin::default())
            .unwrap()
            .content_hash;
        let (ctype, body) = form(Some("other@example.org"), Some(variant.as_bytes()));
        let (_, v) = call(&app, post(Some(&token()), &ctype, body)).await;
        let key = normalize::variant_key("hello.1@example.org", &hash);
        assert!(key.starts_with("hello.1@example.org#"), "{key}");
        assert_eq!(v["url"], format!("{BASE}{}", urls::message("other", &key)));
    }

    fn spooled_envelopes(app: &App) -> Vec<(Envelope, Vec<u8>)> {
        let (taken, bad) = Spool::open(app.dir.path())
            .unwrap()
            .take(100, u64::MAX)
            .unwrap();
        assert!(bad.is_empty());
        taken.into_iter().map(|s| (s.envelope, s.data)).collect()
    }

    #[tokio::test]
    async fn a_message_over_the_limit_is_spooled_as_a_reject_and_accepted() {
        let app = app_with(Some(KEY), true, |l| l.max_message_size = Some(1000)).await;
        for (size, kept) in [(5_000, 5_000), (200_000, OVERSIZED_KEPT_BYTES)] {
            let mut message = MESSAGE.to_vec();
            message.resize(size, b'x');
            let (ctype, body) = form(Some("dev@example.org"), Some(&message));
            let (status, v) = call(&app, post(Some(&token()), &ctype, body)).await;
            // Accepted, so that the plugin does not send it again before every message.
            assert_eq!(status, StatusCode::OK, "{v}");
            assert_eq!(v["url"], format!("{BASE}/dev/"));
            let spooled = spooled_envelopes(&app);
            let (envelope, data) = spooled.last().unwrap();
            assert_eq!(envelope.over_limit, Some(1000));
            assert_eq!(data[..], message[..kept]);
        }
    }

    #[tokio::test]
    async fn mailman_lists_name_the_list_of_an_address() {
        let app = app_with(Some(KEY), true, |l| {
            l.mailman_lists
                .insert("general@example.org".into(), "general-2".into());
        })
        .await;
        let (ctype, body) = form(Some("General@Example.org"), Some(MESSAGE));
        let (status, v) = call(&app, post(Some(&token()), &ctype, body)).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["url"], format!("{BASE}/general-2/m/hello.1@example.org/"));
        assert_eq!(spooled_envelopes(&app)[0].0.list, "general-2");
        let (_, v) = call(&app, get(Some(&token()), "mlist=general%40example.org")).await;
        assert_eq!(v["url"], format!("{BASE}/general-2/"));
        // Another domain's list of the same local part keeps its own name.
        let (_, v) = call(&app, get(Some(&token()), "mlist=general%40example.net")).await;
        assert_eq!(v["url"], format!("{BASE}/general/"));
    }

    #[tokio::test]
    async fn bad_forms_answer_400_in_json() {
        let app = app(Some(KEY), true).await;
        let cases: Vec<(&str, (String, Vec<u8>))> = vec![
            ("no mlist", form(None, Some(MESSAGE))),
            ("no message", form(Some("dev@example.org"), None)),
            (
                "empty message",
                form(Some("dev@example.org"), Some(b"\r\n")),
            ),
            ("empty list", form(Some("@example.org"), Some(MESSAGE))),
            ("a path", form(Some("../x@example.org"), Some(MESSAGE))),
            ("a space", form(Some("a b@example.org"), Some(MESSAGE))),
            ("a long mlist", form(Some(&"x".repeat(2000)), Some(MESSAGE))),
            (
                "not multipart",
                ("application/json".to_string(), b"{}".to_vec()),
            ),
            (
                "a broken form",
                (
                    "multipart/form-data; boundary=zz".to_string(),
                    b"--zz\r\nContent-Disposition: form-data; name=\"mlist\"\r\n\r\nde".to_vec(),
                ),
            ),
        ];
        for (what, (ctype, body)) in cases {
            let (status, v) = call(&app, post(Some(&token()), &ctype, body)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {v}");
            assert!(v["error"].is_string(), "{what}: {v}");
        }
        assert!(app.spooled().is_empty());
    }

    #[tokio::test]
    async fn without_a_spool_a_delivery_is_refused_for_later() {
        let app = app(Some(KEY), false).await;
        let (ctype, body) = form(Some("dev@example.org"), Some(MESSAGE));
        let (status, v) = call(&app, post(Some(&token()), &ctype, body)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(v["error"].is_string(), "{v}");
    }

    #[tokio::test]
    async fn a_failing_spool_answers_503() {
        let app = app(Some(KEY), true).await;
        // `tmp/` replaced by a file: every write fails.
        let tmp = app.dir.path().join("spool/tmp");
        std::fs::remove_dir(&tmp).unwrap();
        std::fs::write(&tmp, b"").unwrap();
        let (ctype, body) = form(Some("dev@example.org"), Some(MESSAGE));
        let (status, v) = call(&app, post(Some(&token()), &ctype, body)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
        assert!(app.spooled().is_empty());
        assert_eq!(DeliveryStats::get(&app.stats.spooled), 0);
    }

    #[tokio::test]
    async fn urls_of_lists_and_messages() {
        let app = app(Some(KEY), true).await;
        let auth = token();
        let cases = [
            ("mlist=dev%40example.org", "https://lists.example.org/dev/"),
            (
                "mlist=dev%40example.org&msgid=hello.1%40example.org",
                "https://lists.example.org/dev/m/hello.1@example.org/",
            ),
            (
                "mlist=dev%40example.org&msgid=%20%3Ca%2Fb%40x%3E%20",
                "https://lists.example.org/dev/m/a%2Fb@x/",
            ),
        ];
        for (query, want) in cases {
            let (status, v) = call(&app, get(Some(&auth), query)).await;
            assert_eq!(status, StatusCode::OK, "{query}: {v}");
            assert_eq!(v, serde_json::json!({ "url": want }), "{query}");
        }
        for query in [
            "",
            "msgid=a%40b",
            "mlist=",
            "mlist=a%2Fb%40x",
            "mlist=dev%40x&msgid=%3C%3E",
        ] {
            let (status, v) = call(&app, get(Some(&auth), query)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {v}");
            assert!(v["error"].is_string(), "{v}");
        }
    }
}

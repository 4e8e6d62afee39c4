//! Who is reading: the viewer every visibility decision takes, and the ways to become one
//! (a session from `/login`, a feed token, a name vouched for by a trusted proxy). A
//! viewer who cannot read a private list is told nothing about it: every route answers
//! as if it did not exist, which [`Viewer::can_read`] alone decides.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::body::Body;
use axum::extract::{ConnectInfo, Form, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::{AppState, WebError, urls};
use crate::domain::secret;
use crate::store::Account;

/// The session cookie.
const SESSION_COOKIE: &str = "larch_session";
/// The login form's own token (double submit: the form's field must match the cookie).
const LOGIN_COOKIE: &str = "larch_login";
/// Where every page's header holds its login link, up to the next `</div>`; a signed-in
/// reader's pages show their name and the logout button in its place (see
/// [`account_nav`]).
pub const ACCOUNT_BOX: &str = r#"<div class="account">"#;

/// How sign-in works on this server (`larch.toml`).
#[derive(Clone, Debug)]
pub struct AuthConfig {
    pub session_lifetime: Duration,
    /// Cookies only over TLS: set when the base URL is https.
    pub secure_cookies: bool,
    /// A request header naming the reader (`X-Remote-User`), believed only from
    /// `trusted_proxies`.
    pub proxy_header: Option<header::HeaderName>,
    pub trusted_proxies: Vec<IpAddr>,
    pub throttle: ThrottleLimits,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_lifetime: Duration::from_secs(30 * 24 * 3600),
            secure_cookies: false,
            proxy_header: None,
            trusted_proxies: Vec::new(),
            throttle: ThrottleLimits::default(),
        }
    }
}

/// The reader of one request.
#[derive(Clone, Debug, Default)]
pub struct Viewer(Option<Arc<Account>>);

impl Viewer {
    pub fn anonymous() -> Viewer {
        Viewer(None)
    }

    pub fn account(&self) -> Option<&Account> {
        self.0.as_deref()
    }

    pub fn is_anonymous(&self) -> bool {
        self.0.is_none()
    }

    /// The one visibility rule: a public list is for everyone; a private one for admins
    /// and the users granted it, by its (canonical) name.
    pub fn can_read(&self, list: &str, private: bool) -> bool {
        if !private {
            return true;
        }
        match &self.0 {
            Some(a) => a.admin || a.lists.iter().any(|l| l == list),
            None => false,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Absent only on routers built without the identifying layer: anonymous, the
        // reader who sees least.
        Ok(parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .unwrap_or_default())
    }
}

pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// The client's address, when the server knows it (not on routers driven without a
/// socket, as in unit tests): the peer, or behind a trusted proxy the address it says it
/// forwarded for (see [`client_address`]).
#[derive(Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(a) = parts.extensions.get::<ClientAddr>() {
            return Ok(*a);
        }
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// Who is at the other end. Behind nginx every peer is the proxy, so login throttling per
/// address would lock every reader out together; a trusted proxy's `X-Forwarded-For` is
/// read from the right, past the trusted hops, to the first address a proxy of ours saw.
/// From any other peer the header is the client's own claim and is ignored.
fn client_address(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    Some(
        hops.iter()
            .rev()
            .copied()
            .find(|a| !trusted.contains(a))
            .unwrap_or(peer),
    )
}

/// Whether the route serves a feed, the only pages a feed token opens.
fn is_feed(path: &str) -> bool {
    path.ends_with("/new.atom") || path.ends_with("/atom")
}

/// Finds the viewer of each request, and keeps what a signed-in reader sees out of shared
/// caches: their pages say `Cache-Control: private`, and every page varies by cookie.
pub async fn identify(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let ClientAddr(peer) = match ClientAddr::from_request_parts(&mut parts, &()).await {
        Ok(a) => a,
        Err(never) => match never {},
    };
    let client = client_address(peer, &parts.headers, &st.auth.trusted_proxies);
    parts.extensions.insert(ClientAddr(client));
    let viewer = match find_viewer(&st, &parts, peer).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let signed_in = !viewer.is_anonymous();
    parts.extensions.insert(viewer.clone());
    let mut res = next.run(Request::from_parts(parts, body)).await;
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("Cookie"));
    if signed_in {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
        return account_nav(&viewer, res).await;
    }
    res
}

async fn find_viewer(st: &AppState, req: &Parts, peer: Option<IpAddr>) -> Result<Viewer, WebError> {
    let auth = &st.auth;
    if let Some(token) = cookie(&req.headers, SESSION_COOKIE)
        && let Some(a) = st.store.session_account(&secret::token_hash(token)).await?
    {
        return Ok(Viewer(Some(Arc::new(a))));
    }
    if let Some(h) = &auth.proxy_header
        && let Some(name) = req.headers.get(h).and_then(|v| v.to_str().ok())
    {
        if peer.is_some_and(|p| auth.trusted_proxies.contains(&p)) {
            if let Some(a) = st.store.account_named(name.trim()).await? {
                return Ok(Viewer(Some(Arc::new(a))));
            }
        } else {
            tracing::warn!("ignored {h} from an untrusted peer {peer:?}");
        }
    }
    if is_feed(req.uri.path())
        && let Some(token) = req.uri.query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "feed")
                .map(|(_, v)| v.into_owned())
        })
        && let Some(a) = st.store.feed_account(&secret::token_hash(&token)).await?
    {
        return Ok(Viewer(Some(Arc::new(a))));
    }
    Ok(Viewer::anonymous())
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountNav<'a> {
    name: &'a str,
    csrf: Option<&'a str>,
    lang: crate::i18n::Lang,
}

/// Puts the reader's name and the logout button where an anonymous page has its login
/// link. Pages are rendered (and cached) once for everyone; only this part differs.
async fn account_nav(viewer: &Viewer, res: Response) -> Response {
    let Some(a) = viewer.account() else {
        return res;
    };
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !html {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match super::http::buffer_up_to(body, 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(body) => return Response::from_parts(parts, body),
    };
    let nav = AccountNav {
        name: &a.name,
        csrf: a.csrf.as_deref(),
        lang: parts
            .extensions
            .get::<crate::i18n::Lang>()
            .copied()
            .unwrap_or(crate::i18n::Lang::En),
    }
    .render()
    .unwrap_or_default();
    let inner = find(&bytes, ACCOUNT_BOX.as_bytes())
        .map(|at| at + ACCOUNT_BOX.len())
        .and_then(|start| find(&bytes[start..], b"</div>").map(|len| (start, start + len)));
    let body = match inner {
        Some((start, end)) => {
            let mut out = Vec::with_capacity(bytes.len() + nav.len());
            out.extend_from_slice(&bytes[..start]);
            out.extend_from_slice(nav.as_bytes());
            out.extend_from_slice(&bytes[end..]);
            Body::from(out)
        }
        None => Body::from(bytes),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Failed logins allowed before the door closes for a while, per account name and per
/// client address.
#[derive(Clone, Debug)]
pub struct ThrottleLimits {
    pub per_account: usize,
    pub per_address: usize,
    pub window: Duration,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        ThrottleLimits {
            per_account: 5,
            per_address: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Recent failed logins. Bounded: at most [`MAX_TRACKED`] names and addresses are
/// remembered, the oldest forgotten first.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

const MAX_TRACKED: usize = 10_000;

impl Throttle {
    fn keys(user: &str, addr: Option<IpAddr>) -> [String; 2] {
        [
            format!("u:{}", user.to_lowercase()),
            format!("a:{}", addr.map(|a| a.to_string()).unwrap_or_default()),
        ]
    }

    /// Whether another attempt may be checked now.
    fn allows(&self, limits: &ThrottleLimits, user: &str, addr: Option<IpAddr>) -> bool {
        let Ok(mut f) = self.failures.lock() else {
            return false;
        };
        let now = Instant::now();
        let [u, a] = Self::keys(user, addr);
        let mut recent = |k: &str| {
            f.get_mut(k).map_or(0, |q| {
                while q.front().is_some_and(|t| now - *t > limits.window) {
                    q.pop_front();
                }
                q.len()
            })
        };
        recent(&u) < limits.per_account && recent(&a) < limits.per_address
    }

    fn failed(&self, user: &str, addr: Option<IpAddr>) {
        let Ok(mut f) = self.failures.lock() else {
            return;
        };
        if f.len() >= MAX_TRACKED {
            // Forget those whose latest failure is oldest.
            let mut by_age: Vec<(Instant, String)> = f
                .iter()
                .map(|(k, q)| (q.back().copied().unwrap_or_else(Instant::now), k.clone()))
                .collect();
            by_age.sort();
            for (_, k) in by_age.into_iter().take(MAX_TRACKED / 10) {
                f.remove(&k);
            }
        }
        for k in Self::keys(user, addr) {
            let q = f.entry(k).or_default();
            q.push_back(Instant::now());
            if q.len() > 1_000 {
                q.pop_front();
            }
        }
    }

    fn succeeded(&self, user: &str) {
        if let Ok(mut f) = self.failures.lock() {
            f.remove(&Self::keys(user, None)[0]);
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    next: &'a str,
    csrf: &'a str,
    user: &'a str,
    problem: &'a str,
    lang: crate::i18n::Lang,
}

#[derive(serde::Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Where a login may send the reader afterwards: a path on this site, nothing else (an
/// absolute URL or `//host` would make the login page an open redirect).
pub(super) fn local_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && n.len() <= 2048 =>
        {
            n.to_string()
        }
        _ => urls::INDEX.to_string(),
    }
}

fn login_form(
    st: &AppState,
    status: StatusCode,
    next: &str,
    user: &str,
    problem: &str,
) -> Response {
    let csrf = match secret::new_token() {
        Ok(t) => t,
        Err(e) => return WebError::Internal(anyhow::anyhow!(e)).into_response(),
    };
    let body = LoginPage {
        next,
        csrf: &csrf,
        user,
        problem,
        lang: super::lang::current(),
    }
    .render()
    .unwrap_or_default();
    let cookie = format!(
        "{LOGIN_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict{}",
        secure(st)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::SET_COOKIE, cookie),
        ],
        body,
    )
        .into_response()
}

pub async fn login_page(
    State(st): State<Arc<AppState>>,
    Query(q): Query<LoginQuery>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    // Without `next`, back to the page the reader came from, if it was one of ours.
    let from = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://"))
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]));
    let next = local_next(q.next.as_deref().or(from));
    Ok(login_form(&st, StatusCode::OK, &next, "", ""))
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

pub async fn login(
    State(st): State<Arc<AppState>>,
    req_headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = local_next(Some(&f.next));
    let expected = cookie(&req_headers, LOGIN_COOKIE).unwrap_or_default();
    if f.csrf.is_empty() || !secret::same_secret(f.csrf.as_bytes(), expected.as_bytes()) {
        return login_form(
            &st,
            StatusCode::FORBIDDEN,
            &next,
            "",
            &super::lang::current().t("login-expired"),
        );
    }
    let user = f.user.trim();
    if user.is_empty() || user.len() > 64 || f.password.len() > secret::MAX_PASSWORD {
        return login_form(
            &st,
            StatusCode::UNAUTHORIZED,
            &next,
            "",
            &super::lang::current().t("login-wrong"),
        );
    }
    if !st.throttle.allows(&st.auth.throttle, user, addr) {
        tracing::warn!("login throttled for {user:?} from {addr:?}");
        return login_form(
            &st,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            user,
            &super::lang::current().t("login-throttled"),
        );
    }
    let found = match st.store.password_hash(user).await {
        Ok(f) => f,
        Err(e) => return WebError::from(e).into_response(),
    };
    let password = f.password.clone();
    let (id, hash) = match found {
        Some((id, h)) => (Some(id), Some(h)),
        None => (None, None),
    };
    // argon2 is tens of milliseconds of CPU by design (the decoy's first hashing too): off
    // the async workers.
    let ok = tokio::task::spawn_blocking(move || {
        secret::verify_password(&password, hash.as_deref().unwrap_or(secret::decoy_hash()))
    })
    .await
    .unwrap_or(false);
    let Some(id) = id.filter(|_| ok) else {
        st.throttle.failed(user, addr);
        tracing::warn!("failed login for {user:?} from {addr:?}");
        return login_form(
            &st,
            StatusCode::UNAUTHORIZED,
            &next,
            user,
            &super::lang::current().t("login-wrong"),
        );
    };
    st.throttle.succeeded(user);
    match start_session(&st, id).await {
        Ok(cookie) => {
            tracing::info!("{user:?} logged in from {addr:?}");
            let mut res = Redirect::to(&next).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => e.into_response(),
    }
}

async fn start_session(st: &AppState, user_id: i64) -> Result<String, WebError> {
    let token = secret::new_token().map_err(|e| WebError::Internal(anyhow::anyhow!(e)))?;
    let csrf = secret::new_token().map_err(|e| WebError::Internal(anyhow::anyhow!(e)))?;
    let life = st.auth.session_lifetime.as_secs();
    st.store
        .create_session(
            &secret::token_hash(&token),
            user_id,
            &csrf,
            i64::try_from(life).unwrap_or(i64::MAX),
        )
        .await?;
    Ok(format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={life}{}",
        secure(st)
    ))
}

/// Cookies travel only over TLS when the archive is served over it.
fn secure(st: &AppState) -> &'static str {
    if st.auth.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

#[derive(serde::Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(st): State<Arc<AppState>>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Result<Response, WebError> {
    let Some(expected) = viewer.account().and_then(|a| a.csrf.as_deref()) else {
        return Ok(Redirect::to(urls::INDEX).into_response());
    };
    if !secret::same_secret(f.csrf.as_bytes(), expected.as_bytes()) {
        return Err(WebError::Forbidden);
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        st.store.end_session(&secret::token_hash(token)).await?;
    }
    let mut res = Redirect::to(urls::INDEX).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("larch_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_the_site() {
        assert_eq!(local_next(Some("/l/m/x/")), "/l/m/x/");
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "evil",
            "/a\nb",
            "",
        ] {
            assert_eq!(local_next(Some(bad)), "/", "{bad:?}");
        }
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let proxy = [ip("127.0.0.1")];
        assert_eq!(
            client_address(Some(ip("127.0.0.1")), &h, &proxy),
            Some(ip("198.51.100.7")),
            "the hop our proxy saw, not what the client wrote before it"
        );
        assert_eq!(
            client_address(Some(ip("192.0.2.5")), &h, &proxy),
            Some(ip("192.0.2.5")),
            "an untrusted peer's header is ignored"
        );
        let two = [ip("127.0.0.1"), ip("198.51.100.7")];
        assert_eq!(
            client_address(Some(ip("127.0.0.1")), &h, &two),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            client_address(Some(ip("127.0.0.1")), &HeaderMap::new(), &proxy),
            Some(ip("127.0.0.1"))
        );
    }

    #[test]
    fn the_throttle_counts_per_name_and_address() {
        let t = Throttle::default();
        let limits = ThrottleLimits {
            per_account: 3,
            per_address: 5,
            window: Duration::from_secs(60),
        };
        let a: Option<IpAddr> = "192.0.2.1".parse().ok();
        let b: Option<IpAddr> = "192.0.2.2".parse().ok();
        for _ in 0..3 {
            assert!(t.allows(&limits, "Ann", a));
            t.failed("ann", a);
        }
        assert!(!t.allows(&limits, "ANN", b), "per name, whatever the case");
        assert!(t.allows(&limits, "bob", a));
        t.failed("bob", a);
        t.failed("carl", a);
        assert!(!t.allows(&limits, "dora", a), "per address");
        assert!(t.allows(&limits, "dora", b));
    }

    #[test]
    fn viewers_read_what_they_are_granted() {
        let anon = Viewer::anonymous();
        assert!(anon.can_read("pub", false));
        assert!(!anon.can_read("priv", true));
        let acct = |admin, lists: &[&str]| {
            Viewer(Some(Arc::new(Account {
                id: 1,
                name: "u".into(),
                admin,
                lists: lists.iter().map(|s| s.to_string()).collect(),
                csrf: None,
            })))
        };
        assert!(acct(false, &["priv"]).can_read("priv", true));
        assert!(!acct(false, &["other"]).can_read("priv", true));
        assert!(acct(true, &[]).can_read("priv", true));
    }
}

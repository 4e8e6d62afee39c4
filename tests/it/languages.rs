//! The language of the pages, on the real server: the list's own language, the browser's
//! `Accept-Language` over it, the reader's choice from the language menu over both; the
//! answers say which (`<html lang dir>`, `Content-Language`) and vary by it, and the page
//! cache keeps each language's copy apart.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_LANGUAGE, LOCATION, SET_COOKIE, VARY};
use reqwest::redirect::Policy;

use crate::common::*;

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    /// The `<html lang dir>` of the page.
    fn lang_dir(&self) -> (String, String) {
        let attr = |name: &str| {
            let head = self.body.split('>').nth(1).unwrap_or("");
            let at = head.find(&format!("{name}=\"")).map(|i| i + name.len() + 2);
            at.and_then(|i| head[i..].split('"').next())
                .unwrap_or("")
                .to_string()
        };
        (attr("lang"), attr("dir"))
    }
}

async fn get(base: &str, path: &str, accept: Option<&str>, cookie: Option<&str>) -> Answer {
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let mut req = client.get(format!("{base}{path}"));
    if let Some(a) = accept {
        req = req.header("Accept-Language", a);
    }
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let res = req.send().await.unwrap();
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

fn mbox(list: &str, n: u32) -> String {
    (1..=n)
        .map(|i| {
            format!(
                "From x@y Mon Jan  1 00:00:00 2024\nFrom: Ann <ann@example.org>\n\
                 Subject: {list} topic {i}\nDate: Mon, {i} Jan 2024 10:00:00 +0000\n\
                 Message-ID: <{list}.{i}@example.org>\n\nBody {i}.\n\n"
            )
        })
        .collect()
}

#[tokio::test]
async fn pages_speak_the_language_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = store(&data).await;
    for (list, n) in [("equipe", 3), ("hush", 2), ("plain", 1)] {
        let f = dir.path().join(format!("{list}.mbox"));
        std::fs::write(&f, mbox(list, n)).unwrap();
        import(&store, list, &[f]).await;
    }
    // The list's language, set as an admin sets it.
    let out = larch_cli(&data, &["list-set", "equipe", "--language", "fr"], b"");
    assert!(out.status.success(), "{out:?}");
    let out = larch_cli(
        &data,
        &["list-set", "hush", "--language", "ar", "--private", "true"],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    let out = larch_cli(&data, &["list-set", "plain", "--language", "tlh"], b"");
    assert!(!out.status.success(), "an unknown language is refused");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tlh") && err.contains("en, fr, es, ar, ru, zh, de"),
        "{err}"
    );
    let base = serve(store.clone()).await;

    // No preference: the list's language; the front page: the site's.
    let fr = get(&base, "/equipe/", None, None).await;
    assert_eq!(fr.status, StatusCode::OK);
    assert_eq!(fr.lang_dir(), ("fr".into(), "ltr".into()));
    assert_eq!(fr.headers[CONTENT_LANGUAGE], "fr");
    let vary: Vec<&str> = fr
        .headers
        .get_all(VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        vary.iter().any(|v| v.contains("Accept-Language"))
            && vary.iter().any(|v| v.contains("Cookie")),
        "{vary:?}"
    );
    assert!(fr.body.contains("janv."), "French month abbreviations");
    assert_eq!(
        get(&base, "/", None, None).await.lang_dir(),
        ("en".into(), "ltr".into())
    );

    // The browser's language over the list's; one the archive lacks leaves the list's.
    let de = get(&base, "/equipe/", Some("de-CH, de;q=0.9"), None).await;
    assert_eq!(de.lang_dir().0, "de");
    assert!(de.body.contains("Archiv"), "German words");
    let ja = get(&base, "/equipe/", Some("ja, ko;q=0.5"), None).await;
    assert_eq!(ja.lang_dir().0, "fr");

    // The reader's choice over both.
    let ar = get(&base, "/equipe/", Some("de"), Some("larch_lang=ar")).await;
    assert_eq!(ar.lang_dir(), ("ar".into(), "rtl".into()));

    // The cache keeps each language's copy: asking in turn gets each its own.
    for (accept, lang) in [("fr", "fr"), ("en", "en"), ("zh", "zh"), ("fr", "fr")] {
        let a = get(&base, "/equipe/2024/01/", Some(accept), None).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.lang_dir().0, lang);
        if lang == "zh" {
            assert!(a.body.contains("2024年1月"), "Chinese month heading");
        }
        if lang == "fr" {
            assert!(a.body.contains("janvier 2024"), "French month heading");
        }
    }

    // The menu: every language, each link naming itself and coming back here.
    let menu = fr
        .body
        .split("<nav class=\"languages\"")
        .nth(1)
        .and_then(|m| m.split("</nav>").next())
        .unwrap_or_default();
    assert!(
        menu.contains(
            "/language?set=ar&#38;next=%2Fequipe%2F\" lang=\"ar\" dir=\"rtl\" hreflang=\"ar\""
        ),
        "the language menu's Arabic link: {menu}"
    );
    for code in ["en", "fr", "es", "ar", "ru", "zh", "de"] {
        assert!(
            fr.body.contains(&format!("lang=\"{code}\"")),
            "{code} in the menu"
        );
    }
    let chosen = get(&base, "/language?set=es&next=%2Fequipe%2F", None, None).await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER);
    assert_eq!(chosen.headers[LOCATION], "/equipe/");
    let cookie = chosen.headers[SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.starts_with("larch_lang=es;") && cookie.contains("Path=/"),
        "{cookie}"
    );
    for bad in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let a = get(
            &base,
            &format!("/language?set=es&next={}", larch::web::util::enc_query(bad)),
            None,
            None,
        )
        .await;
        assert_eq!(a.headers[LOCATION], "/", "{bad} is not followed");
    }
    let forget = get(&base, "/language?set=auto&next=/", None, None).await;
    assert!(
        forget.headers[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let unknown = get(&base, "/language?set=tlh&next=/", Some("fr"), None).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.lang_dir().0,
        "fr",
        "the error page speaks the reader's language"
    );
    let garbage = get(
        &base,
        "/",
        Some(&"x;q=0.1,".repeat(5000)),
        Some("larch_lang=%00"),
    )
    .await;
    assert_eq!(garbage.status, StatusCode::OK);
    assert_eq!(garbage.lang_dir().0, "en");

    // A private list's language is not shown to those it does not exist for: its 404 is
    // the site's, as a list that does not exist.
    let hidden = get(&base, "/hush/", None, None).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(hidden.lang_dir().0, "en");
    assert_eq!(
        get(&base, "/nosuchlist/", None, None).await.lang_dir().0,
        "en"
    );

    // Error pages and counts in the reader's language.
    let missing = get(&base, "/equipe/m/nothing@example.org/", Some("ru"), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.lang_dir().0, "ru");
    let ru = get(&base, "/equipe/", Some("ru"), None).await;
    assert!(ru.body.contains("3 сообщения"), "Russian plural of 3");
}

use std::path::{Path, PathBuf};

use larch::ingest::{self, Summary, source::Format};
use larch::store::Store;

/// The corpora folder, or `None` (with a loud note) when `LARCH_CORPORA` is unset.
pub fn corpora() -> Option<PathBuf> {
    match std::env::var_os("LARCH_CORPORA") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("SKIPPED: LARCH_CORPORA is not set; this test needs the real corpora");
            None
        }
    }
}

pub async fn store(dir: &Path) -> Store {
    Store::open(dir).await.expect("open store")
}

pub async fn import(store: &Store, list: &str, paths: &[PathBuf]) -> Summary {
    let s = ingest::import(store, list, paths, Format::Auto, &())
        .await
        .expect("import");
    assert_eq!(
        s.read,
        s.new + s.duplicate + s.rejected,
        "read = new + duplicate + rejected for {list}: {s}"
    );
    s
}

pub async fn list_id(store: &Store, name: &str) -> i64 {
    store
        .list_by_name(name)
        .await
        .expect("query")
        .expect("list exists")
        .id
}

/// Message-ID named by a pipermail article page's reply link (`In-Reply-To=%3C…%3E`), read
/// independently of larch's own parser.
pub fn page_message_id(html: &str) -> Option<String> {
    let start = html.find("In-Reply-To=")? + "In-Reply-To=".len();
    let rest = &html[start..];
    let end = rest.find(['"', '&', '\n']).unwrap_or(rest.len());
    let id = percent_encoding::percent_decode_str(&rest[..end])
        .decode_utf8_lossy()
        .into_owned();
    Some(id.trim_start_matches('<').trim_end_matches('>').to_string())
}

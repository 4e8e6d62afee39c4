//! Every corpus imports without a panic and accounts for every message it read.

use crate::common::*;

async fn import_corpus(rel: &str) {
    let Some(c) = corpora() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let s = import(&store, "l", &[c.join(rel)]).await;
    eprintln!("{rel}: {s}");
    assert!(s.read > 0, "{rel}: nothing read");
    assert!(
        s.rejected * 50 <= s.read.max(50),
        "{rel}: too many rejects: {s}"
    );
    let summaries = store.list_summaries().await.unwrap();
    assert_eq!(
        summaries[0].rejected as u64, s.rejected,
        "every reject is recorded"
    );
    // The front page's counts (month sums and undated messages, thread summaries) are the
    // import's own.
    assert_eq!(summaries[0].messages as u64, s.new, "{rel}: message count");
    assert_eq!(
        summaries[0].threads as u64, s.threads as u64,
        "{rel}: thread count"
    );
    // A second import adds nothing.
    let again = import(&store, "l", &[c.join(rel)]).await;
    assert_eq!(again.new, 0, "{rel}: re-import added messages: {again}");
    assert_eq!(again.read, s.read);
    let after = store.list_summaries().await.unwrap();
    assert_eq!(
        after[0].messages, summaries[0].messages,
        "{rel}: re-import count"
    );
}

#[tokio::test]
async fn notmuch_maildirs() {
    import_corpus("maildir/notmuch").await;
}

/// Every file in `cur/` and `new/` of the nested Maildir++ folders is found; these fixture
/// files hold a single line and no header, so each is rejected with its reason, not lost.
#[tokio::test]
async fn maildirpp_folders() {
    let Some(c) = corpora() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let s = import(&store, "l", &[c.join("maildir/mail-parser-maildirpp")]).await;
    assert_eq!(s.read, 6, "{s}");
    assert_eq!(s.rejected, 6, "{s}");
    let summaries = store.list_summaries().await.unwrap();
    assert_eq!(summaries[0].rejected, 6);
}

#[tokio::test]
async fn perceval_mboxes() {
    import_corpus("mbox/perceval").await;
}

#[tokio::test]
async fn spamassassin_messages() {
    import_corpus("messages/spamassassin").await;
}

#[tokio::test]
async fn mail_parser_messages() {
    import_corpus("messages/mail-parser").await;
}

#[tokio::test]
async fn mimekit_messages() {
    import_corpus("messages/mimekit").await;
}

#[tokio::test]
async fn hyperkitty_messages() {
    import_corpus("messages/hyperkitty").await;
}

#[tokio::test]
async fn cpython_messages() {
    import_corpus("messages/cpython-test-email").await;
}

#[tokio::test]
async fn public_inbox_messages() {
    import_corpus("messages/public-inbox").await;
}

#[tokio::test]
async fn perceval_pipermail_samples() {
    import_corpus("pipermail/perceval-samples").await;
}

/// Raw 8-bit headers and bogus charsets come out as text, not U+FFFD, where a decoding exists.
#[tokio::test]
async fn spamassassin_dates_and_headers_are_repaired() {
    let Some(c) = corpora() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    import(&store, "sa", &[c.join("messages/spamassassin")]).await;
    let id = list_id(&store, "sa").await;
    let rows = store.senders_and_dates(id).await.unwrap();
    let sane = rows
        .iter()
        .filter(|(_, d, _)| d.is_some_and(|d| (946_684_800..1_104_537_600).contains(&d)))
        .count();
    // The corpus is from 2002; years like 102 are repaired, so nearly all land in 2000-2004.
    // 8-bit headers and bogus charsets decode to text: U+FFFD is left only where the
    // bytes themselves are broken (1 subject and 2 bodies of 6,046 when this was written).
    let db = db(&store).await;
    let replaced: (i64, i64, i64) = sqlx::query_as(db.sql(
        "SELECT SUM(iif(subject LIKE '%' || char(65533) || '%', 1, 0)),
                SUM(iif(from_name LIKE '%' || char(65533) || '%', 1, 0)),
                SUM(iif(body_text LIKE '%' || char(65533) || '%', 1, 0)) FROM messages",
    ))
    .fetch_one(&*db)
    .await
    .unwrap();
    assert!(
        replaced.0 <= 3 && replaced.1 <= 3 && replaced.2 <= 6,
        "U+FFFD in (subjects, names, bodies): {replaced:?}"
    );
    assert!(
        sane * 100 >= rows.len() * 98,
        "only {sane} of {} dates are plausible",
        rows.len()
    );
}

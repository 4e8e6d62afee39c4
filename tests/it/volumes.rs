//! Mailman 2 archives that were not monthly: the linux-uvc-devel months of February to May
//! 2006 refiled as Mailman files them by `archive_volume_frequency` (weekly
//! `Week-of-Mon-YYYYMMDD`, daily `YYYYMMDD`, quarterly `YYYYqN`, in UTC as on a server
//! whose clock is UTC), with the article pages pipermail writes beside each volume's text
//! archive and the `attachments/DATE/HASH/NAME` files its scrubbed notes point to. Every
//! old URL of each tree must land on the right message, page or file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufReader, Read};
use std::path::Path;

use chrono::{Datelike, TimeZone};
use larch::domain::normalize::{Origin, normalize};
use larch::ingest::mbox::MboxReader;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::common::*;

const MONTHS: [&str; 4] = ["2006-February", "2006-March", "2006-April", "2006-May"];

/// One message of the source months, as pipermail's text archive held it.
struct Msg {
    /// The envelope line through the end of the message, as in the `.txt`.
    text: Vec<u8>,
    /// None when the message has no Message-ID (pipermail's page then names none either).
    id: Option<String>,
    date: i64,
    /// `DATE/HASH/NAME` of each attachment its scrubbed notes name.
    attachments: Vec<String>,
}

#[derive(Clone, Copy)]
enum Frequency {
    Week,
    Day,
    Quarter,
}

/// Mailman 2's `dateToVolName`, written from its description, on a UTC clock.
fn volume_name(f: Frequency, t: i64) -> String {
    let d = chrono::Utc.timestamp_opt(t, 0).unwrap().date_naive();
    match f {
        Frequency::Day => d.format("%Y%m%d").to_string(),
        Frequency::Quarter => format!("{}q{}", d.year(), (d.month() - 1) / 3 + 1),
        Frequency::Week => {
            let monday = d - chrono::Days::new(d.weekday().num_days_from_monday().into());
            monday.format("Week-of-Mon-%Y%m%d").to_string()
        }
    }
}

/// The `…/attachments/DATE/HASH/NAME` paths of a body's `URL:` / `Url :` lines.
fn scrubbed_paths(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in body.lines() {
        let lower = line.to_ascii_lowercase();
        if !(lower.starts_with("url:") || lower.starts_with("url :")) {
            continue;
        }
        if let Some(at) = line.find("/attachments/") {
            let rest = &line[at + "/attachments/".len()..];
            let path = rest.trim_end().trim_end_matches('>');
            if path.split('/').count() == 3 && !out.contains(&path.to_string()) {
                out.push(path.to_string());
            }
        }
    }
    out
}

fn read_months(dir: &Path) -> Vec<Msg> {
    let mut out = Vec::new();
    for m in MONTHS {
        let file = std::fs::read(dir.join(format!("{m}.txt"))).unwrap();
        for r in MboxReader::pipermail(BufReader::new(&file[..])) {
            let r = r.unwrap();
            let n = normalize(
                &r.data,
                Origin {
                    envelope: r.envelope.as_deref(),
                    pipermail: true,
                },
            )
            .unwrap();
            let Some(date) = n.date else { continue };
            let mut text = file[r.marker_offset as usize..r.end_offset as usize].to_vec();
            text.extend_from_slice(b"\n\n");
            out.push(Msg {
                text,
                id: (!n.msgid_generated).then(|| n.message_id.clone()),
                date,
                attachments: scrubbed_paths(&n.body_text),
            });
        }
    }
    // pipermail numbers articles in the order they reach the archive.
    out.sort_by_key(|m| m.date);
    out
}

fn attachment_bytes(path: &str) -> Vec<u8> {
    format!("the file Mailman kept at attachments/{path}\n").into_bytes()
}

/// Writes a pipermail tree of this frequency; returns volume -> article numbers in it.
fn write_tree(root: &Path, msgs: &[Msg], f: Frequency) -> BTreeMap<String, Vec<usize>> {
    let mut volumes: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, m) in msgs.iter().enumerate() {
        volumes.entry(volume_name(f, m.date)).or_default().push(i);
    }
    for (vol, numbers) in &volumes {
        let mut txt = Vec::new();
        std::fs::create_dir_all(root.join(vol)).unwrap();
        for &i in numbers {
            let m = &msgs[i];
            txt.extend_from_slice(&m.text);
            let reply = m.id.as_deref().map_or(String::new(), |id| {
                let bracketed = format!("<{id}>");
                let enc = percent_encoding::utf8_percent_encode(
                    &bracketed,
                    percent_encoding::NON_ALPHANUMERIC,
                );
                format!(
                    "<A HREF=\"mailto:linux-uvc-devel%40lists.berlios.de?Subject=Re%3A&In-Reply-To={enc}\">"
                )
            });
            std::fs::write(
                root.join(vol).join(format!("{i:06}.html")),
                format!("<HTML><BODY>{reply}</A></BODY></HTML>\n"),
            )
            .unwrap();
            for p in &m.attachments {
                let file = root.join("attachments").join(p);
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(file, attachment_bytes(p)).unwrap();
            }
        }
        std::fs::write(root.join(format!("{vol}.txt")), txt).unwrap();
        for page in ["index", "thread", "date", "author", "subject"] {
            std::fs::write(root.join(vol).join(format!("{page}.html")), "<HTML></HTML>").unwrap();
        }
    }
    volumes
}

fn message_ids(text: &str) -> HashSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("Message-ID: <"))
        .map(|l| l.trim_end_matches('>').to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weekly_daily_and_quarterly_archives_keep_every_url() {
    let Some(c) = corpora() else { return };
    let msgs = read_months(&c.join("pipermail/linux-uvc-devel"));
    assert!(msgs.len() > 300, "{} dated messages", msgs.len());
    let with_files: usize = msgs.iter().map(|m| m.attachments.len()).sum();
    assert!(with_files >= 20, "{with_files} scrubbed attachments named");
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    for (f, list, at_least) in [
        (Frequency::Week, "uvc-weekly", 15),
        (Frequency::Day, "uvc-daily", 60),
        (Frequency::Quarter, "uvc-quarterly", 2),
    ] {
        let tree = tempfile::tempdir().unwrap();
        let volumes = write_tree(tree.path(), &msgs, f);
        assert!(
            volumes.len() >= at_least,
            "{list}: {} volumes",
            volumes.len()
        );
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path()).await;
        let s = import(&store, list, &[tree.path().to_path_buf()]).await;
        assert_eq!(s.new as usize, msgs.len(), "{list}: {s}");
        assert!(s.skipped_files.is_empty(), "{list}: {:?}", s.skipped_files);
        let db = db(&store).await;
        let keys: HashMap<String, String> =
            sqlx::query_as::<_, (String, String)>(db.sql("SELECT message_id, mkey FROM messages"))
                .fetch_all(&*db)
                .await
                .unwrap()
                .into_iter()
                .collect();
        let base = serve(store.clone()).await;
        let get = |path: String| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                let res = http.get(format!("{base}{path}")).send().await.unwrap();
                let status = res.status();
                let loc = res
                    .headers()
                    .get("location")
                    .map(|l| l.to_str().unwrap().to_string());
                (status, loc, res.bytes().await.unwrap().to_vec())
            }
        };
        let mut attachments = 0;
        let mut cards = 0;
        for (vol, numbers) in &volumes {
            // Article pages land on their message.
            for &i in numbers {
                let (status, loc, _) = get(format!("/pipermail/{list}/{vol}/{i:06}.html")).await;
                assert_eq!(status, StatusCode::MOVED_PERMANENTLY, "{list}/{vol}/{i:06}");
                let loc = loc.unwrap();
                if let Some(id) = &msgs[i].id {
                    let want = larch::web::urls::message(list, &keys[id]);
                    assert_eq!(loc, want, "{list}/{vol}/{i:06}.html");
                } else {
                    assert!(loc.starts_with(&format!("/{list}/m/")), "{loc}");
                }
            }
            // The volume's indexes land on a month page the volume's messages are in.
            let months: HashSet<String> = numbers
                .iter()
                .map(|&i| {
                    let d = chrono::Utc.timestamp_opt(msgs[i].date, 0).unwrap();
                    format!("/{list}/{}/{:02}/", d.year(), d.month())
                })
                .collect();
            for page in [
                "",
                "index.html",
                "thread.html",
                "date.html",
                "author.html",
                "subject.html",
            ] {
                let (status, loc, _) = get(format!("/pipermail/{list}/{vol}/{page}")).await;
                assert_eq!(status, StatusCode::MOVED_PERMANENTLY, "{list}/{vol}/{page}");
                let loc = loc.unwrap();
                assert!(
                    months.iter().any(|m| loc.starts_with(m.as_str())),
                    "{list}/{vol}/{page} -> {loc}, not one of {months:?}"
                );
            }
            // The text archives hold exactly the volume's messages.
            let want: HashSet<String> =
                numbers.iter().filter_map(|&i| msgs[i].id.clone()).collect();
            let (status, _, body) = get(format!("/pipermail/{list}/{vol}.txt")).await;
            assert_eq!(status, StatusCode::OK, "{list}/{vol}.txt");
            let text = String::from_utf8_lossy(&body).into_owned();
            assert_eq!(message_ids(&text), want, "{list}/{vol}.txt");
            assert_eq!(
                text.lines().filter(|l| l.starts_with("From ")).count(),
                numbers.len(),
                "{list}/{vol}.txt"
            );
            let (status, _, gz) = get(format!("/pipermail/{list}/{vol}.txt.gz")).await;
            assert_eq!(status, StatusCode::OK, "{list}/{vol}.txt.gz");
            let mut unzipped = String::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_string(&mut unzipped)
                .unwrap();
            assert_eq!(unzipped, text, "{list}/{vol}.txt.gz");
            // Scrubbed attachments lead to the stored file.
            for &i in numbers {
                for p in &msgs[i].attachments {
                    let (status, loc, _) = get(format!("/pipermail/{list}/attachments/{p}")).await;
                    assert_eq!(
                        status,
                        StatusCode::MOVED_PERMANENTLY,
                        "{list}/attachments/{p}"
                    );
                    let loc = loc.unwrap();
                    let id = msgs[i].id.as_ref().unwrap();
                    let page = larch::web::urls::message(list, &keys[id]);
                    assert!(loc.starts_with(&page), "{p} -> {loc}, not under {page}");
                    let (status, _, body) = get(loc.clone()).await;
                    assert_eq!(status, StatusCode::OK, "{list}/attachments/{p}");
                    assert_eq!(body, attachment_bytes(p), "{list}/attachments/{p}");
                    // The message's page leads to it: from the scrubbed note's card, which
                    // no longer sends the reader to the old site, or (a note inside a
                    // signature block is not a card) from the list of attachments.
                    let (_, _, html) = get(page.clone()).await;
                    let html = String::from_utf8_lossy(&html);
                    let card = format!("<a href=\"{loc}\">attachment</a>");
                    if html.contains(&card) {
                        cards += 1;
                    } else {
                        let listed = loc.strip_prefix(page.as_str()).unwrap();
                        assert!(
                            html.contains(&format!("href=\"{listed}\"")),
                            "{page}: {loc}"
                        );
                    }
                    assert!(
                        !html.contains(&format!(
                            "/attachments/{p}\" rel=\"nofollow noopener ugc\">original attachment"
                        )),
                        "{page} still sends the reader away for {p}"
                    );
                    attachments += 1;
                }
            }
        }
        assert_eq!(attachments, with_files, "{list}");
        assert!(
            cards > 0,
            "{list}: {cards} of {attachments} are cards, none of which links the file"
        );
        // What the tree never had answers 404.
        for path in [
            "Week-of-Mon-20060103/index.html", // a Tuesday
            "Week-of-Mon-20050103/index.html", // before the archive
            "20050824.txt",
            "2005q3.txt.gz",
            "2006q4/thread.html",
            "attachments/20060402/00000000/attachment.pgp",
            "attachments/../../etc/passwd",
        ] {
            let (status, ..) = get(format!("/pipermail/{list}/{path}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{list}/{path}");
        }
    }
}

//! public-inbox's addresses, and the real `b4` (0.16.0 from PyPI, in a virtualenv under
//! `target/`) fetching a linux-mips patch series through them: `b4 am` with its `midmask`
//! on the list, on `/all/`, and on a list that does not hold the series (b4 then asks the
//! site's root for the Message-ID and follows the redirect). The series it writes must
//! apply with `git am` to a tree holding only what its hunks show of the files they change.
//!
//! b4's requests (b4 0.16.0 through liblore 0.10.1, `liblore/node.py`): `GET
//! {base}/{quote_plus(msgid)}/t.mbox.gz`, read with `gzip.decompress` (so no
//! `Content-Encoding`); on 404 `HEAD {origin}/{quote_plus(msgid)}/` following redirects and
//! `GET {final path}/t.mbox.gz`; then a `POST {base}/?x=m&t=1&q=patchid:…` search for review
//! trailers whose failure it ignores.
//!
//! Needs `python3` with `venv`, PyPI and `git`; without them the test skips, saying so,
//! except under CI, where it fails.

use std::collections::HashSet;
use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::process::Command;

use larch::ingest::mbox::MboxReader;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::common::*;

const B4: &str = "b4==0.16.0";
/// `[PATCH v4 0/2] kunit: qemu_configs: Add MIPS configurations`, June 2025: one patch
/// changes a hunk of a file, the other adds four.
const COVER: &str = "20250611-kunit-mips-v4-0-1d8997fb2ae4@linutronix.de";
const PATCHES: [&str; 2] = [
    "20250611-kunit-mips-v4-1-1d8997fb2ae4@linutronix.de",
    "20250611-kunit-mips-v4-2-1d8997fb2ae4@linutronix.de",
];

/// The series' thread (every message that names the cover) and every 40th other message
/// of the list, as an mboxrd file.
fn excerpt(corpus: &Path, out: &Path) -> usize {
    let gz = std::fs::File::open(corpus).unwrap();
    let reader = BufReader::new(flate2::read::GzDecoder::new(gz));
    let mut file = std::fs::File::create(out).unwrap();
    let mut n = 0;
    let stem = "kunit-mips-v4-";
    for (i, m) in MboxReader::new(reader).enumerate() {
        let m = m.unwrap();
        let names_series = m.data.windows(stem.len()).any(|w| w == stem.as_bytes());
        if !(names_series || i % 40 == 0) {
            continue;
        }
        writeln!(file, "From mboxrd@z Thu Jan  1 00:00:00 1970").unwrap();
        for line in m.data.split_inclusive(|&b| b == b'\n') {
            let unquoted = line.iter().skip_while(|&&b| b == b'>').copied();
            if unquoted.take(5).eq(b"From ".iter().copied()) {
                file.write_all(b">").unwrap();
            }
            file.write_all(line).unwrap();
        }
        file.write_all(b"\n").unwrap();
        n += 1;
    }
    n
}

/// What the hunks of an mbox of patches show of each file they change but do not create:
/// its context and removed lines, hunk after hunk, which is all `git am` needs to apply
/// them.
fn pre_images(mbx: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut current: Option<usize> = None;
    let mut in_hunk = false;
    for line in mbx.lines() {
        if let Some(old) = line.strip_prefix("--- ") {
            current = None;
            in_hunk = false;
            if let Some(path) = old.strip_prefix("a/") {
                files.push((path.to_string(), String::new()));
                current = Some(files.len() - 1);
            }
        } else if line.starts_with("@@ ") {
            in_hunk = current.is_some();
        } else if line.starts_with("diff --git ") || line == "-- " {
            in_hunk = false;
        } else if in_hunk && let Some(i) = current {
            if let Some(kept) = line.strip_prefix(' ').or_else(|| line.strip_prefix('-')) {
                files[i].1.push_str(kept);
                files[i].1.push('\n');
            } else if line.is_empty() {
                files[i].1.push('\n');
            }
        }
    }
    files
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    text
}

/// `git` with no configuration but an identity, so that `git am` can commit.
fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "larch test")
        .env("GIT_AUTHOR_EMAIL", "test@example.org")
        .env("GIT_COMMITTER_NAME", "larch test")
        .env("GIT_COMMITTER_EMAIL", "test@example.org");
    c
}

/// Runs `b4 am` for the cover with this midmask; returns the `.mbx` it wrote.
fn b4_am(b4: &Path, work: &Path, midmask: &str) -> String {
    let out = work.join("out");
    let home = work.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new(b4);
    cmd.current_dir(work)
        .env("HOME", &home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["-c", &format!("b4.midmask={midmask}")])
        // Attestation would look DKIM keys up in the DNS.
        .args(["-c", "b4.attestation-policy=off"])
        .args(["am", "--no-cache", "-o"])
        .arg(&out)
        .arg(COVER);
    let log = run(&mut cmd, &format!("b4 am ({midmask})"));
    let mbx: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "mbx"))
        .collect();
    assert_eq!(mbx.len(), 1, "b4 wrote one series ({midmask}):\n{log}");
    assert!(log.contains("Total patches: 2"), "{midmask}:\n{log}");
    std::fs::read_to_string(&mbx[0]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b4_fetches_and_applies_a_series_through_public_inbox_urls() {
    let Some(c) = corpora() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("linux-mips-excerpt.mbox");
    let corpus = c.join("mbox/linux-mips-2019-2026.mbox.gz");
    let n = tokio::task::spawn_blocking({
        let mbox = mbox.clone();
        move || excerpt(&corpus, &mbox)
    })
    .await
    .unwrap();
    assert!(n > 1000, "{n} messages");
    let store = store(&dir.path().join("data")).await;
    import(&store, "linux-mips", &[mbox]).await;
    // Searchable before the server answers its first search.
    larch::search::Search::for_store(&store)
        .unwrap()
        .rebuild(&store, &|_, _| {})
        .await
        .unwrap();
    let base = serve(store.clone()).await;

    // The addresses themselves.
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let q = |id: &str| {
        percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let message = larch::web::urls::message("linux-mips", PATCHES[0]);
    for (path, want) in [
        (format!("/linux-mips/{}/", q(PATCHES[0])), message.clone()),
        (format!("/all/{}/", q(PATCHES[0])), message.clone()),
        (format!("/{}/", q(PATCHES[0])), message.clone()),
        (
            format!("/linux-mips/{}/raw", q(PATCHES[0])),
            larch::web::urls::message_raw("linux-mips", PATCHES[0]),
        ),
        (
            format!("/linux-mips/{}/T/", q(PATCHES[0])),
            larch::web::urls::thread_at("linux-mips", PATCHES[0], PATCHES[0]),
        ),
        (
            format!("/all/{}/t/", q(PATCHES[0])),
            larch::web::urls::thread_at("linux-mips", PATCHES[0], PATCHES[0]),
        ),
    ] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::MOVED_PERMANENTLY, "{path}");
        assert_eq!(res.headers()["location"], want.as_str(), "{path}");
    }
    for path in [
        format!("/linux-mips/{}/t.mbox.gz", q(PATCHES[1])),
        format!("/all/{}/t.mbox.gz", q(COVER)),
        format!("{message}t.mbox.gz"),
    ] {
        let res = http
            .get(format!("{base}{path}"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["content-type"], "application/gzip", "{path}");
        assert!(res.headers().get("content-encoding").is_none(), "{path}");
        let gz = res.bytes().await.unwrap();
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut raw)
            .unwrap();
        let text = String::from_utf8_lossy(&raw);
        let ids: HashSet<&str> = text
            .lines()
            .filter_map(|l| {
                l.strip_prefix("Message-ID: <")
                    .or(l.strip_prefix("Message-Id: <"))
            })
            .map(|l| l.trim_end_matches('>'))
            .collect();
        for id in [COVER, PATCHES[0], PATCHES[1]] {
            assert!(ids.contains(id), "{path} lacks {id}: {ids:?}");
        }
    }
    for path in [
        "/linux-mips/no-such-id%40example.org/t.mbox.gz".to_string(),
        "/all/no-such-id%40example.org/".to_string(),
        "/no-such-id%40example.org/".to_string(),
        format!("/no-such-list/{}/", q(COVER)),
    ] {
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }

    // Searches as lei and b4 send them: a POST answered by a gzipped mboxrd.
    let search = |list: &'static str, query: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let url = format!(
                "{base}/{list}/?x=m&{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("q", query)
                    .finish()
            );
            let res = http.post(url).body("x=m").send().await.unwrap();
            let status = res.status();
            let ctype = res
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string());
            let body = res.bytes().await.unwrap();
            let mut raw = Vec::new();
            if status == StatusCode::OK {
                assert_eq!(ctype.as_deref(), Some("application/gzip"));
                flate2::read::GzDecoder::new(&body[..])
                    .read_to_end(&mut raw)
                    .unwrap();
            }
            (status, String::from_utf8_lossy(&raw).into_owned())
        }
    };
    let (status, mbox) = search("linux-mips", "s:\"qemu_configs: Add MIPS configurations\"").await;
    assert_eq!(status, StatusCode::OK);
    assert!(mbox.contains(&format!("<{}>", PATCHES[1])), "{mbox}");
    assert!(
        !mbox.contains(&format!("<{}>", PATCHES[0])),
        "only the matches without t=1"
    );
    let (status, mbox) = search(
        "all",
        "m:20250611-kunit-mips-v4-2-1d8997fb2ae4@linutronix.de",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(mbox.contains(&format!("<{}>", PATCHES[1])));
    let threads = {
        let url = format!(
            "{base}/all/?x=m&t=1&q={}",
            q("s:\"qemu_configs: Add MIPS configurations\"")
        );
        let res = http.post(url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let gz = res.bytes().await.unwrap();
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut raw)
            .unwrap();
        String::from_utf8_lossy(&raw).into_owned()
    };
    for id in [COVER, PATCHES[0], PATCHES[1]] {
        assert!(
            threads.contains(&format!("<{id}>")),
            "t=1 gives the thread: {id}"
        );
    }
    let (status, _) = search("linux-mips", "s:no-such-subject-anywhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = search("no-such-list", "s:qemu").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The real b4.
    let python = match tokio::task::spawn_blocking(|| pypi_python(B4))
        .await
        .unwrap()
    {
        Ok(p) => p,
        Err(why) => {
            assert!(!in_ci(), "b4 is needed: {why}");
            skip(&format!("b4 cannot be installed: {why}"));
            return;
        }
    };
    if Command::new("git").arg("--version").output().is_err() {
        assert!(!in_ci(), "git is needed to apply the series");
        skip("git is not installed");
        return;
    }
    let b4 = python.with_file_name("b4");
    let base2 = base.clone();
    tokio::task::spawn_blocking(move || {
        let mut series = Vec::new();
        for (i, mask) in ["linux-mips", "all", "no-such-list"].iter().enumerate() {
            let work = tempfile::tempdir().unwrap();
            let mbx = b4_am(&b4, work.path(), &format!("{base2}/{mask}/%s"));
            series.push(mbx);
            assert_eq!(series[i], series[0], "the same series through /{mask}/");
        }
        let mbx = &series[0];
        assert!(mbx.contains("Subject: [PATCH v4 1/2]"), "{mbx}");
        assert!(mbx.contains("Subject: [PATCH v4 2/2]"), "{mbx}");
        // An empty tree, plus what the hunks show of the file the first patch changes.
        let repo = tempfile::tempdir().unwrap();
        run(git(repo.path()).args(["init", "-q"]), "git init");
        let pre = pre_images(mbx);
        assert!(!pre.is_empty(), "the series changes a file");
        for (path, content) in &pre {
            let file = repo.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, content).unwrap();
            run(git(repo.path()).args(["add", path]), "git add");
        }
        run(
            git(repo.path()).args(["commit", "-q", "-m", "what the series changes"]),
            "git commit",
        );
        let mbx_file = repo.path().join("series.mbx");
        std::fs::write(&mbx_file, mbx).unwrap();
        run(git(repo.path()).arg("am").arg(&mbx_file), "git am");
        let log = run(git(repo.path()).args(["log", "--format=%s"]), "git log");
        assert!(log.contains("MIPS: Don't crash in stack_top()"), "{log}");
        assert!(
            log.contains("kunit: qemu_configs: Add MIPS configurations"),
            "{log}"
        );
        assert!(
            repo.path()
                .join("tools/testing/kunit/qemu_configs/mips.py")
                .is_file()
        );
    })
    .await
    .unwrap();
}

//! The real linux-uvc-devel pipermail archive: numbers, senders, dates and threads agree
//! with what pipermail itself published.

use std::collections::HashMap;
use std::path::Path;

use crate::common::*;

/// (number -> Message-ID) of every article page, and (number -> parent number) from each
/// month's `thread.html` thread keys (`<!--1 0120705.3315-0120709.3317- -->`).
type Oracle = (HashMap<i64, String>, HashMap<i64, (i64, String)>);

fn pipermail_oracle(root: &Path) -> Oracle {
    let mut ids = HashMap::new();
    let mut parents = HashMap::new();
    for e in std::fs::read_dir(root).unwrap().flatten() {
        if !e.path().is_dir() {
            continue;
        }
        let month = e.file_name().to_string_lossy().into_owned();
        for p in std::fs::read_dir(e.path()).unwrap().flatten() {
            let name = p.file_name().to_string_lossy().into_owned();
            if let Some(n) = name
                .strip_suffix(".html")
                .and_then(|n| n.parse::<i64>().ok())
            {
                let html = String::from_utf8_lossy(&std::fs::read(p.path()).unwrap()).into_owned();
                ids.insert(n, page_message_id(&html).expect("page names its message"));
            }
        }
        let thread = String::from_utf8_lossy(&std::fs::read(e.path().join("thread.html")).unwrap())
            .into_owned();
        for line in thread.lines() {
            let Some(c) = line.strip_prefix("<!--") else {
                continue;
            };
            let Some((_depth, key)) = c.trim_end_matches("-->").trim().split_once(' ') else {
                continue;
            };
            let nums: Vec<i64> = key
                .split('-')
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.rsplit('.').next()?.parse().ok())
                .collect();
            if nums.len() >= 2 {
                parents.insert(nums[nums.len() - 1], (nums[nums.len() - 2], month.clone()));
            }
        }
    }
    (ids, parents)
}

#[tokio::test]
async fn linux_uvc_devel_matches_pipermail() {
    let Some(c) = corpora() else { return };
    let root = c.join("pipermail/linux-uvc-devel");
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let s = import(&store, "linux-uvc-devel", std::slice::from_ref(&root)).await;
    eprintln!("linux-uvc-devel: {s}");
    let id = list_id(&store, "linux-uvc-devel").await;
    let (pages, parents) = pipermail_oracle(&root);

    // Every page's number is recorded against the Message-ID the page names.
    let ours: HashMap<i64, String> = store
        .pipermail_numbers(id)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let mut wrong = Vec::new();
    for (n, mid) in &pages {
        if ours.get(n) != Some(mid) {
            wrong.push((n, mid, ours.get(n)));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} pages map wrongly, e.g. {:?}",
        wrong.len(),
        pages.len(),
        &wrong[..wrong.len().min(5)]
    );
    // Every page's message is stored, and nothing beyond pipermail's pages but messages
    // that reuse a page's Message-ID with other content.
    assert_eq!(s.new, pages.len() as u64 + s.variants, "{s}");

    // The per-month counts the pages use add up to the archive, month by pipermail month.
    let months = store.month_counts(id).await.unwrap();
    assert_eq!(months.iter().map(|m| m.count).sum::<i64>() as u64, s.new);
    assert_eq!(months.len(), 74, "one entry per pipermail month file");

    // Senders de-obfuscated, dates sane.
    let rows = store.senders_and_dates(id).await.unwrap();
    let obfuscated: Vec<_> = rows
        .iter()
        .filter(|(a, _, _)| a.contains(" at ") || !a.contains('@'))
        .collect();
    assert!(
        obfuscated.is_empty(),
        "obfuscated or missing senders: {obfuscated:?}"
    );
    let (lo, hi) = (1_104_537_600, 1_356_998_400); // 2005-01-01 .. 2013-01-01
    let bad: Vec<_> = rows
        .iter()
        .filter(|(_, d, _)| !d.is_some_and(|d| (lo..hi).contains(&d)))
        .collect();
    assert!(bad.is_empty(), "dates outside the archive's years: {bad:?}");

    // Parent links against pipermail's thread.html, where the parent is in the same month.
    let links: HashMap<String, Option<String>> =
        store.parent_links(id).await.unwrap().into_iter().collect();
    let month_of = |n: i64| parents.get(&n).map(|(_, m)| m.clone());
    let mut compared = 0;
    let mut agree = 0;
    let mut disagreements = Vec::new();
    for (child, (parent, month)) in &parents {
        let (Some(cid), Some(pid)) = (pages.get(child), pages.get(parent)) else {
            continue;
        };
        // Same month: the parent's page is listed in this month's thread keys or the
        // parent itself is a root of the same month.
        let parent_month = month_of(*parent);
        if parent_month.is_some() && parent_month.as_ref() != Some(month) {
            continue;
        }
        compared += 1;
        let ours = links.get(cid).cloned().flatten();
        if ours.as_deref() == Some(pid.as_str()) {
            agree += 1;
        } else {
            disagreements.push((cid.clone(), pid.clone(), ours));
        }
    }
    let pct = 100.0 * agree as f64 / compared.max(1) as f64;
    eprintln!("pipermail parent agreement: {agree}/{compared} = {pct:.2}%");
    for d in disagreements.iter().take(15) {
        eprintln!(
            "  differs: {} pipermail parent {} larch parent {:?}",
            d.0, d.1, d.2
        );
    }
    assert!(compared > 3000, "compared only {compared}");
    assert!(pct >= 95.0, "parent agreement {pct:.2}% < 95%");
}

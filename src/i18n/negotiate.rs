//! Which shipped language a reader's `Accept-Language` asks for (RFC 9110 §12.5.4): the
//! highest-weighted tag whose primary language ships, ties going to the earlier tag. The
//! header is the client's: only its first 64 entries and 4 KiB are read, and a malformed
//! entry is skipped, never an error.

use super::Lang;

const MAX_ENTRIES: usize = 64;
const MAX_BYTES: usize = 4096;

pub fn accept_language(header: &str) -> Option<Lang> {
    let mut end = header.len().min(MAX_BYTES);
    while !header.is_char_boundary(end) {
        end -= 1;
    }
    let header = &header[..end];
    let mut best: Option<(u16, Lang)> = None;
    for entry in header.split(',').take(MAX_ENTRIES) {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let mut q = 1000u16;
        for p in parts {
            let p = p.trim();
            if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                q = weight(v).unwrap_or(0);
            }
        }
        if q == 0 {
            continue;
        }
        let Some(lang) = Lang::from_tag(tag) else {
            continue;
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

/// A quality value in thousandths (`0.8` -> 800); anything else is no weight.
fn weight(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut f = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        f += u16::from(b - b'0') * [100, 10, 1][i];
    }
    if whole == 1000 && f > 0 {
        return None;
    }
    Some(whole + f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_shipped_language_wins() {
        assert_eq!(accept_language("fr-CH, fr;q=0.9, en;q=0.8"), Some(Lang::Fr));
        assert_eq!(accept_language("ja, en;q=0.5"), Some(Lang::En));
        assert_eq!(accept_language("en;q=0.5, ar"), Some(Lang::Ar));
        assert_eq!(
            accept_language("zh-Hant-TW;q=0.9, de;q=0.9"),
            Some(Lang::Zh)
        );
        assert_eq!(accept_language("ru;q=0, es;q=0.1"), Some(Lang::Es));
        assert_eq!(accept_language("ja, ko"), None);
        assert_eq!(accept_language("*"), None);
        assert_eq!(accept_language(""), None);
    }

    #[test]
    fn malformed_entries_are_skipped() {
        assert_eq!(accept_language("de;q=2, fr;q=0.5"), Some(Lang::Fr));
        assert_eq!(accept_language("de;q=x, ;;;, fr"), Some(Lang::Fr));
        assert_eq!(accept_language("de;q=1.5"), None);
        assert_eq!(accept_language("de;q=0.9999, es;q=0.5"), Some(Lang::Es));
        let long = format!("{}, fr", "x-y;q=0.5, ".repeat(10_000));
        assert_eq!(
            accept_language(&long),
            None,
            "only the head of a huge header is read"
        );
        assert_eq!(accept_language(&"é,".repeat(5000)), None);
    }
}

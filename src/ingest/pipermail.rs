//! pipermail specifics: month archive names, and the article numbers of its HTML pages.
//!
//! Old links point at `YYYY-Month/NNNNNN.html`, so each page's number must be recorded
//! against the message it shows. The page names its message in the reply link
//! (`mailto:…?…&In-Reply-To=%3CMessage-ID%3E`). pipermail numbered articles in archive
//! order, so the i-th message of a month's `.txt` is normally the i-th page of that month;
//! the Message-ID confirms it, and settles it when the two disagree.

use std::path::Path;
use std::sync::Arc;

use crate::domain::month::parse_month;
use crate::domain::normalize::decode_id_bytes;

/// `2008-April.txt`, `2008-April.txt.gz` (or the bare `2008-April`) -> (2008, 4).
pub fn month_of_file(name: &str) -> Option<(i32, u32)> {
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    let stem = stem.strip_suffix(".txt").unwrap_or(stem);
    parse_month(stem)
}

/// One HTML page of a month: its article number and the Message-ID it names.
#[derive(Debug, Clone)]
pub struct Page {
    pub number: i64,
    pub message_id: Option<String>,
}

/// The page expected at a message's position, plus the whole month to search when the
/// position and the Message-ID disagree.
#[derive(Debug, Clone)]
pub struct Slot {
    pub expected: Option<Page>,
    pub month: Arc<Vec<Page>>,
}

impl Slot {
    /// The article number for a message with this Message-ID.
    pub fn number_for(&self, message_id: &str) -> Option<i64> {
        if let Some(p) = &self.expected
            && p.message_id.as_deref().is_none_or(|m| m == message_id)
        {
            return Some(p.number);
        }
        self.month
            .iter()
            .find(|p| p.message_id.as_deref() == Some(message_id))
            .map(|p| p.number)
    }
}

pub struct MonthPages {
    pages: Arc<Vec<Page>>,
}

impl MonthPages {
    /// Reads the HTML pages beside a month archive (`2008-April.txt` -> `2008-April/`).
    pub fn for_archive(txt: &Path) -> Option<MonthPages> {
        let name = txt.file_name()?.to_string_lossy().into_owned();
        let stem = name.strip_suffix(".gz").unwrap_or(&name);
        let stem = stem.strip_suffix(".txt").unwrap_or(stem);
        let dir = txt.parent()?.join(stem);
        let mut pages = Vec::new();
        for e in std::fs::read_dir(&dir).ok()?.flatten() {
            let fname = e.file_name().to_string_lossy().into_owned();
            let Some(num) = fname.strip_suffix(".html") else {
                continue;
            };
            if num.len() != 6 || !num.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(number) = num.parse::<i64>() else {
                continue;
            };
            let message_id = std::fs::read(e.path())
                .ok()
                .and_then(|b| message_id_of_page(&b));
            pages.push(Page { number, message_id });
        }
        if pages.is_empty() {
            return None;
        }
        pages.sort_by_key(|p| p.number);
        Some(MonthPages {
            pages: Arc::new(pages),
        })
    }

    pub fn slot(&mut self, i: usize) -> Option<Slot> {
        Some(Slot {
            expected: self.pages.get(i).cloned(),
            month: self.pages.clone(),
        })
    }
}

/// The Message-ID a pipermail article page names in its `In-Reply-To=` reply link.
///
/// pipermail percent-encodes the id's bytes as the message had them, whatever charset the
/// page declares, so they are decoded exactly as the message's own header is
/// ([`decode_id_bytes`]): an id with bytes that are not UTF-8 still finds its message.
pub fn message_id_of_page(html: &[u8]) -> Option<String> {
    let needle = b"In-Reply-To=";
    let start = html.windows(needle.len()).position(|w| w == needle)? + needle.len();
    let rest = &html[start..];
    let end = rest
        .iter()
        .position(|&b| matches!(b, b'"' | b'&' | b'\'' | b'>' | b'\n'))
        .unwrap_or(rest.len());
    let decoded: Vec<u8> = percent_encoding::percent_decode(&rest[..end]).collect();
    let s = decode_id_bytes(&decoded);
    let id = s
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!id.is_empty()).then(|| id.to_string())
}

/// Where a pipermail tree keeps the attachments Mailman's Scrubber took out of messages,
/// and the largest file read from it.
#[derive(Debug, Clone)]
pub struct ScrubbedDir {
    pub dir: Arc<Path>,
    pub max: u64,
}

impl ScrubbedDir {
    /// The `attachments/` folder beside a volume's text archive, when there is one.
    pub fn beside(txt: &Path, max: u64) -> Option<ScrubbedDir> {
        let dir = txt.parent()?.join("attachments");
        dir.is_dir().then(|| ScrubbedDir {
            dir: Arc::from(dir),
            max,
        })
    }
}

/// A scrubbed attachment found again: its path under `attachments/` as the old URL has it,
/// and the file.
pub struct Recovered {
    pub path: String,
    pub attachment: crate::domain::normalize::Attachment,
}

/// No message of a real archive has more; a body naming more is not read beyond this.
const MAX_SCRUBBED_PER_MESSAGE: usize = 64;

/// The attachments a message's scrubbed notes point to (`URL: <…/attachments/20060402/
/// 6a95de09/attachment.pgp>`), read from the tree. Notes whose file is missing, too large or
/// whose path is not a plain `DATE/HASH/NAME` are left as they are: the note still shows.
pub fn recover_scrubbed(body: &str, at: &ScrubbedDir) -> Vec<Recovered> {
    let mut out = Vec::new();
    let mut ctype = String::new();
    for line in body.lines() {
        let t = line.trim();
        if let Some(v) = field(t, "Type:") {
            ctype = v.to_string();
            continue;
        }
        let Some(url) = field(t, "URL:")
            .or_else(|| field(t, "Url :"))
            .or_else(|| field(t, "Url:"))
        else {
            continue;
        };
        let Some(path) = crate::domain::scrubbed::path_of_url(url.trim_matches(['<', '>'])) else {
            continue;
        };
        if out.iter().any(|r: &Recovered| r.path == path) {
            continue;
        }
        let file = path
            .split('/')
            .fold(at.dir.to_path_buf(), |p, seg| p.join(seg));
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        if !meta.is_file() || meta.len() > at.max {
            continue;
        }
        let Ok(data) = std::fs::read(&file) else {
            continue;
        };
        let filename = path.rsplit('/').next().unwrap_or_default().to_string();
        let content_type = if ctype.is_empty() || ctype.len() > 200 {
            "application/octet-stream".to_string()
        } else {
            std::mem::take(&mut ctype)
        };
        out.push(Recovered {
            path,
            attachment: crate::domain::normalize::Attachment {
                filename,
                content_type,
                data,
            },
        });
        if out.len() == MAX_SCRUBBED_PER_MESSAGE {
            break;
        }
    }
    out
}

fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let n = name.len();
    line.as_bytes()
        .get(..n)
        .is_some_and(|p| p.eq_ignore_ascii_case(name.as_bytes()))
        .then(|| line[n..].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_names() {
        assert_eq!(month_of_file("2008-April.txt"), Some((2008, 4)));
        assert_eq!(month_of_file("2010-September.txt.gz"), Some((2010, 9)));
        assert_eq!(month_of_file("notes.txt"), None);
    }

    /// pipermail percent-encodes the id's raw bytes; they read as the message's own header
    /// does, whatever the page's charset.
    #[test]
    fn page_message_id_with_bytes_that_are_not_utf8() {
        let html = b"<META http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">\n\
            <A HREF=\"mailto:l%40x?Subject=Re%3A%20x&In-Reply-To=%3C20050824040347.GA5323%40www.%7C%EA%15%40%7C%EA%15%40%3E\">";
        let want = crate::domain::normalize::decode_id_bytes(
            b"20050824040347.GA5323@www.|\xEA\x15@|\xEA\x15@",
        );
        assert_eq!(message_id_of_page(html), Some(want));
    }

    #[test]
    fn page_message_id() {
        let html = br#"<A HREF="mailto:l%40x?Subject=Re%3A%20x&In-Reply-To=%3C2008.36856.vergata%40fbihome.de%3E">"#;
        assert_eq!(
            message_id_of_page(html).as_deref(),
            Some("2008.36856.vergata@fbihome.de")
        );
    }
}

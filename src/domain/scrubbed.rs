//! The files Mailman 2's Scrubber took out of messages. It left a note in the message with
//! the file's URL, `…/pipermail/LIST/attachments/DATE/HASH/NAME`; the `DATE/HASH/NAME` part
//! names the file in the archive's `attachments/` folder, which the import reads back and
//! the message page links to once it is stored.

/// `DATE/HASH/NAME` of an attachment URL (`…/pipermail/LIST/attachments/DATE/HASH/NAME`),
/// percent-decoded; only three plain segments qualify, so nothing outside the folder is
/// named.
pub fn path_of_url(url: &str) -> Option<String> {
    let at = url.rfind("/attachments/")? + "/attachments/".len();
    let rest = url[at..].split(['?', '#']).next()?;
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .ok()?;
    let segs: Vec<&str> = decoded.split('/').collect();
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= 255
            && s != "."
            && s != ".."
            && !s.contains(['\\', '\0'])
            && !s.chars().any(char::is_control)
    };
    (segs.len() == 3 && segs.iter().all(|s| plain(s))).then(|| segs.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_urls() {
        assert_eq!(
            path_of_url(
                "https://lists.berlios.de/pipermail/l/attachments/20060402/6a95de09/attachment.pgp"
            )
            .as_deref(),
            Some("20060402/6a95de09/attachment.pgp")
        );
        assert_eq!(
            path_of_url("http://x/pipermail/l/attachments/20060402/6a/na%20me.png").as_deref(),
            Some("20060402/6a/na me.png")
        );
        for bad in [
            "http://x/pipermail/l/attachments/20060402/../etc",
            "http://x/pipermail/l/attachments/20060402/a/b/c",
            "http://x/pipermail/l/attachments/a/%2e%2e/c",
            "http://x/pipermail/l/attachments/a/b%2fc/d",
            "http://x/pipermail/l/attachments/a//d",
            "http://x/pipermail/l/attachments/a/b/%00",
            "http://x/pipermail/l/other/a/b/c",
        ] {
            assert_eq!(path_of_url(bad), None, "{bad}");
        }
    }
}

//! Subjects as listings and page titles show them: without the tags (`[Bp_certs]`) that
//! Mailman put in front of every subject of a list. On a page that already says which
//! list it is, the tag only pushes the words that differ out of sight on a phone, and a
//! cross-posted message carries one tag per list. The message page keeps the subject as
//! sent.

use std::borrow::Cow;

/// The tags to drop: the names of the archive's lists, compared without case.
#[derive(Debug, Clone, Default)]
pub struct ListTags(Vec<String>);

impl ListTags {
    pub fn new<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> ListTags {
        ListTags(
            names
                .into_iter()
                .map(|n| n.as_ref().to_lowercase())
                .collect(),
        )
    }

    /// Whether `[tag]` names one of the lists: its name, or its name before a domain
    /// (`bp_certs_intgovforum.org`, as Mailman 2 names lists of virtual domains), with
    /// or without the post number some lists add (`[dev 123]`).
    fn is_list(&self, tag: &str) -> bool {
        let tag = tag.trim();
        let tag = match tag.rsplit_once(' ') {
            Some((t, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => t,
            _ => tag,
        }
        .to_lowercase();
        !tag.is_empty()
            && self.0.iter().any(|n| {
                *n == tag
                    || n.strip_prefix(tag.as_str()).is_some_and(|rest| {
                        (rest.starts_with('_') || rest.starts_with('@')) && rest.contains('.')
                    })
            })
    }
}

/// The words that may precede a tag: `Re:`, `Fwd:` and their translations.
fn reply_prefix(s: &str) -> Option<usize> {
    let colon = s.find(':')?;
    let word = &s[..colon];
    let word = word.trim_end_matches(|c: char| c.is_ascii_digit() || "[]^ ".contains(c));
    [
        "re", "aw", "sv", "antw", "fwd", "fw", "tr", "wg", "r", "rif", "vs", "res",
    ]
    .iter()
    .any(|p| word.eq_ignore_ascii_case(p))
    .then_some(colon + 1)
}

/// `subject` without the tags of `tags`' lists among its leading `Re:` and `[tag]`
/// words.
pub fn listing_subject<'a>(subject: &'a str, tags: &ListTags) -> Cow<'a, str> {
    let mut kept: Vec<&str> = Vec::new();
    let mut rest = subject.trim_start();
    let mut dropped = false;
    // Each round takes at least one character; a subject is short, but bounded anyway.
    for _ in 0..32 {
        if let Some(inner) = rest.strip_prefix('[') {
            let Some(close) = inner.find(']').filter(|&c| c <= 100) else {
                break;
            };
            if tags.is_list(&inner[..close]) {
                dropped = true;
            } else {
                kept.push(&rest[..close + 2]);
            }
            rest = inner[close + 1..].trim_start();
        } else if let Some(n) = reply_prefix(rest).filter(|&n| n <= 12) {
            kept.push(&rest[..n]);
            rest = rest[n..].trim_start();
        } else {
            break;
        }
    }
    if !dropped || rest.is_empty() {
        return Cow::Borrowed(subject);
    }
    kept.push(rest);
    Cow::Owned(kept.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_tags_are_dropped() {
        let tags = ListTags::new(["bp_certs", "bp_spam", "igfmaglist_intgovforum.org", "dev"]);
        for (s, want) in [
            (
                "[Bp_certs] [Bp_spam] IGF BPF follow-up",
                "IGF BPF follow-up",
            ),
            ("Re: [Bp_spam] IGF BPF follow-up", "Re: IGF BPF follow-up"),
            ("RE: [Bp_certs] Re: [Bp_spam] x", "RE: Re: x"),
            (
                "[IGFmaglist] BPF updates to the MAG",
                "BPF updates to the MAG",
            ),
            ("[dev 1234] Patch", "Patch"),
            ("[PATCH v2] [dev] fix", "[PATCH v2] fix"),
            ("[other] kept", "[other] kept"),
            ("[dev]", "[dev]"),
            ("Plain subject", "Plain subject"),
            ("Re: [ANN] [dev] release", "Re: [ANN] release"),
            ("", ""),
        ] {
            assert_eq!(listing_subject(s, &tags), want, "{s}");
        }
        let long = "[x] ".repeat(10_000) + "[dev] y";
        assert_eq!(listing_subject(&long, &tags), long);
    }
}

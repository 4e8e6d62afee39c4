//! Quoted history read as earlier messages: where each one starts, who wrote it and when.
//!
//! Replies carry the thread below them, each earlier message introduced by its client's
//! own marker: an attribution (`On <date>, <name> wrote:`, often wrapped over two lines by
//! the next client, sometimes with the second line at a shallower quote depth than the
//! first), an Outlook header block (`From: / Sent: / To: / Subject:`, after a rule or
//! not), or `-----Original Message-----`. Shown as one block, a reader has to unfold
//! everything to see who said what; split at these markers, each earlier message folds on
//! its own under its sender's name.
//!
//! Every test here looks at one line and a bounded number after it, so finding the
//! starts of a body's quoted messages is linear in the body.

use super::quote_depth;
use crate::domain::tail::is_footer_rule;

/// Header blocks are read over at most this many lines (fields wrapped over two lines
/// included).
const HEADER_LINES: usize = 8;

/// Attribution lines longer than this are prose, not an attribution.
const MAX_ATTRIBUTION: usize = 300;

/// The start of an earlier message in quoted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Start {
    /// Lines taken by the marker (rule, header fields, attribution).
    pub lines: usize,
    pub who: String,
    /// The sender's address when the marker shows it.
    pub addr: String,
    pub when: String,
}

/// The text of a line after its quote prefix.
pub(super) fn content(line: &str) -> &str {
    let b = line.as_bytes();
    let mut i = 0;
    let mut seen = false;
    while i < b.len() {
        match b[i] {
            b'>' => seen = true,
            b' ' | b'\t' if seen => {}
            _ => break,
        }
        i += 1;
    }
    &line[i..]
}

/// The byte length of a line's quote prefix.
pub(super) fn prefix_len(line: &str) -> usize {
    line.len() - content(line).len()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    From,
    Date,
    To,
    Cc,
    Subject,
}

/// A header field line of a quoted header block, in the languages mail clients write
/// them in most.
fn field(c: &str) -> Option<(Field, &str)> {
    let (name, value) = c.split_once(':')?;
    let name = name.trim_end();
    if name.len() > 12 || name.starts_with(char::is_whitespace) {
        return None;
    }
    let lower = name.to_lowercase();
    let f = match lower.as_str() {
        "from" | "von" | "de" | "van" | "da" | "från" | "od" => Field::From,
        "sent" | "date" | "gesendet" | "datum" | "envoyé" | "enviado" | "fecha" | "data"
        | "verzonden" | "skickat" | "inviato" => Field::Date,
        "to" | "an" | "à" | "a" | "para" | "aan" | "till" | "do" => Field::To,
        "cc" | "kopie" => Field::Cc,
        "subject" | "betreff" | "objet" | "asunto" | "onderwerp" | "oggetto" | "ämne"
        | "assunto" | "temat" => Field::Subject,
        _ => return None,
    };
    Some((f, value.trim()))
}

/// An Outlook-style header block starting at line `k`: `From:` and at least two more
/// fields, at one quote depth.
fn header_block(lines: &[&str], k: usize) -> Option<Start> {
    let depth = quote_depth(lines.get(k)?);
    let (f, from) = field(content(lines[k]).trim_start())?;
    if f != Field::From || from.is_empty() {
        return None;
    }
    let (mut others, mut last, mut when) = (0, k, String::new());
    for (j, l) in lines.iter().enumerate().skip(k + 1).take(HEADER_LINES) {
        if quote_depth(l) != depth {
            break;
        }
        let c = content(l).trim();
        if c.is_empty() {
            break;
        }
        match field(c) {
            Some((Field::From, _)) => break,
            Some((f, v)) => {
                others += 1;
                last = j;
                if f == Field::Date {
                    when = v.to_string();
                }
            }
            // A field's value wrapped onto the next line (long `To:` or `Cc:`).
            None if j == last + 1 && super::wrapped::split_prefix(l).2.starts_with([' ', '\t']) => {
                last = j
            }
            None => break,
        }
    }
    (others >= 2).then(|| Start {
        lines: last - k + 1,
        who: name_of(from),
        addr: addr_of(from),
        when,
    })
}

/// A line that separates a quoted message in some clients: `-----Original Message-----`
/// and its translations, `---------- Forwarded message ---------` (a marker on its own),
/// or a bare rule of dashes or underscores (a marker only before a header block).
fn rule(c: &str) -> Option<bool> {
    let t = c.trim();
    if t.len() < 10 || t.len() > 80 {
        return None;
    }
    if t.bytes().all(|b| b == b'-') || t.bytes().all(|b| b == b'_') {
        return Some(false);
    }
    let named = t.starts_with("---")
        && t.ends_with("---")
        && t.trim_matches('-').trim().chars().any(char::is_alphabetic);
    named.then_some(true)
}

/// An attribution at line `k`, on one line or wrapped over two (the second may sit at a
/// shallower quote depth, where a client re-wrapping the quote left it).
fn attribution(lines: &[&str], k: usize) -> Option<Start> {
    let first = content(lines.get(k)?).trim();
    if first.is_empty() || first.len() > MAX_ATTRIBUTION {
        return None;
    }
    if says_wrote(first) {
        return Some(parse_attribution(first, 1));
    }
    // A wrapped attribution opens with its date: `On 3 March 2008, …`.
    if !starts_like_attribution(first)
        || first.ends_with(':')
        || !first.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    let next = lines.get(k + 1)?;
    if quote_depth(next) > quote_depth(lines[k]) {
        return None;
    }
    let second = content(next).trim();
    if second.is_empty() || second.len() > 100 || starts_like_attribution(second) {
        return None;
    }
    let both = format!("{first} {second}");
    says_wrote(&both).then(|| parse_attribution(&both, 2))
}

/// Endings of attribution lines, by language.
const WROTE: [&str; 16] = [
    "wrote:",
    "writes:",
    "wrote :",
    "a écrit :",
    "a écrit:",
    "schrieb:",
    "escribió:",
    "ha scritto:",
    "skrev:",
    "napisał:",
    "kirjoitti:",
    "schreef:",
    "escreveu:",
    "написал:",
    "написал(а):",
    "wrote the following:",
];

fn says_wrote(c: &str) -> bool {
    // `wrote:` alone names nobody; a name or date comes before it.
    if let Some(w) = WROTE.iter().find(|w| c.ends_with(*w)) {
        return c.len() > w.len() + 2;
    }
    // German clients: `Am 23.09.2018 um 20:31 schrieb Jane Doe <jane@example.org>:`
    c.starts_with("Am ") && c.contains(" schrieb ") && c.ends_with(':')
}

fn starts_like_attribution(c: &str) -> bool {
    ["On ", "Le ", "Am ", "El ", "Il ", "Em ", "Op ", "Den "]
        .iter()
        .any(|p| c.starts_with(p))
}

/// Who and when from an attribution line.
fn parse_attribution(s: &str, lines: usize) -> Start {
    let mut body = s.trim();
    if let Some(w) = WROTE.iter().find(|w| body.ends_with(*w)) {
        body = body[..body.len() - w.len()].trim_end();
    }
    body = body.trim_end_matches(':').trim_end();
    let (who, when) =
        if let (Some(rest), Some(p)) = (body.strip_prefix("Am "), body.find(" schrieb ")) {
            let when = rest.get(..p.saturating_sub(3)).unwrap_or("");
            (&body[p + " schrieb ".len()..], when)
        } else if let Some(rest) = ["On ", "Le ", "El ", "Il ", "Em ", "Op ", "Den "]
            .iter()
            .find_map(|p| body.strip_prefix(p))
        {
            // The name follows the date's last comma, except in clients that write the name
            // straight after the time (`at 6:23 PM Jane Doe`).
            let head = rest.find('<').map_or(rest, |p| &rest[..p]);
            let comma = head.rfind(", ").map(|c| (c, c + 2));
            let clock = [" AM ", " PM ", " am ", " pm "]
                .iter()
                .filter_map(|m| head.rfind(m).map(|c| (c, c + m.len())))
                .max();
            match (comma, clock) {
                (Some(c), Some(t)) if t.0 > c.0 => (&rest[t.1..], &rest[..t.0 + 3]),
                (None, Some(t)) => (&rest[t.1..], &rest[..t.0 + 3]),
                (Some(c), _) => (&rest[c.1..], &rest[..c.0]),
                (None, None) => (rest, ""),
            }
        } else {
            (body, "")
        };
    Start {
        lines,
        who: name_of(who),
        addr: addr_of(who),
        when: when.trim().to_string(),
    }
}

/// The display name of a `Name <address>` (or `Name [mailto:address]`), else the address.
fn name_of(s: &str) -> String {
    let s = s.trim();
    let cut = s
        .find(" [mailto:")
        .or_else(|| s.find('<'))
        .or_else(|| s.find(" (").filter(|&p| s[p..].contains(['@', '<'])));
    let name = cut
        .map_or(s, |p| &s[..p])
        .trim()
        .trim_matches(['"', '\'', ','])
        .trim();
    if !name.is_empty() {
        return name.to_string();
    }
    s.trim_matches(['<', '>', '(', ')', '[', ']', '"', ' '])
        .trim_start_matches("mailto:")
        .to_string()
}

/// The address in a `Name <address>`, `Name [mailto:address]`, `address (Name)` or a bare
/// address; empty when there is none.
fn addr_of(s: &str) -> String {
    let s = s.trim();
    let inner = if let Some(p) = s.find("[mailto:") {
        s[p + 8..].split(']').next()
    } else if let Some(p) = s.find('<') {
        s[p + 1..].split('>').next()
    } else {
        s.split_whitespace().next()
    };
    inner
        .map(|a| a.trim().trim_start_matches("mailto:"))
        .filter(|a| a.contains('@') && !a.contains(char::is_whitespace))
        .unwrap_or("")
        .to_string()
}

/// Whether an earlier message starts at line `k`, and what introduces it.
pub(super) fn start_at(lines: &[&str], k: usize) -> Option<Start> {
    let line = lines.get(k)?;
    let c = content(line);
    if let Some(named) = rule(c) {
        // The header block may follow after an empty line or two.
        let depth = quote_depth(line);
        let mut h = k + 1;
        while h < lines.len().min(k + 3)
            && content(lines[h]).trim().is_empty()
            && quote_depth(lines[h]) == depth
        {
            h += 1;
        }
        return match header_block(lines, h) {
            Some(s) => Some(Start {
                lines: h + s.lines - k,
                ..s
            }),
            None if named => Some(Start {
                lines: 1,
                who: String::new(),
                addr: String::new(),
                when: String::new(),
            }),
            None => None,
        };
    }
    header_block(lines, k).or_else(|| attribution(lines, k))
}

/// Whether an Outlook header block or a message marker (not an attribution) starts at
/// line `k`: unquoted history, as Outlook writes it, starts there.
pub(super) fn block_start_at(lines: &[&str], k: usize) -> Option<Start> {
    if rule(content(lines.get(k)?)).is_some() {
        return start_at(lines, k);
    }
    header_block(lines, k)
}

/// Whether line `k` is an attribution whose quote follows (after at most one empty line):
/// the start of a quoted region in unquoted text.
pub(super) fn attribution_before_quote(lines: &[&str], k: usize, end: usize) -> Option<Start> {
    let a = attribution(&lines[..end], k)?;
    let mut q = k + a.lines;
    if lines.get(q).is_some_and(|l| l.trim().is_empty()) {
        q += 1;
    }
    (q < end && quote_depth(lines[q]) > 0).then_some(a)
}

/// Lines of a quoted Mailman footer: a rule of underscores with `… mailing list` in the
/// next few lines, and the footer's lines after it, up to an empty line.
pub(super) fn footer_lines(lines: &[&str]) -> Vec<bool> {
    let mut marks = vec![false; lines.len()];
    let mut k = 0;
    while k < lines.len() {
        let names_list = is_footer_rule(content(lines[k]))
            && lines[k + 1..lines.len().min(k + 5)]
                .iter()
                .any(|l| content(l).to_ascii_lowercase().contains("mailing list"));
        if !names_list {
            k += 1;
            continue;
        }
        marks[k] = true;
        k += 1;
        let mut n = 0;
        while k < lines.len() && n < 6 && !content(lines[k]).trim().is_empty() {
            marks[k] = true;
            k += 1;
            n += 1;
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(text: &str) -> Option<Start> {
        let lines: Vec<&str> = text.lines().collect();
        start_at(&lines, 0)
    }

    fn who_when(text: &str) -> (String, String, usize) {
        let s = start(text).unwrap_or_else(|| panic!("no start in {text:?}"));
        (s.who, s.when, s.lines)
    }

    #[test]
    fn attributions() {
        let cases = [
            (
                "On 25 February 2016 at 16:59, Markus Kummer <mk at example.com>\nwrote:",
                "Markus Kummer",
                "25 February 2016 at 16:59",
                2,
            ),
            (
                "> > > On 24 Feb 2016, at 10:54 AM, Jane Roe <jr@example.com>\n> wrote:",
                "Jane Roe",
                "24 Feb 2016, at 10:54 AM",
                2,
            ),
            (
                "On Mon, 3 Mar 2008, Bob Jones wrote:",
                "Bob Jones",
                "Mon, 3 Mar 2008",
                1,
            ),
            (
                "On Tue, Sep 25, 2018 at 6:23 PM Ben Wallis <b@example.com> wrote:",
                "Ben Wallis",
                "Tue, Sep 25, 2018 at 6:23 PM",
                1,
            ),
            (
                "> Am 23.09.2018 um 20:31 schrieb Lynn St.Amour <Lynn at example.org>:",
                "Lynn St.Amour",
                "23.09.2018 um 20:31",
                1,
            ),
            (
                "Le lun. 3 mars 2008 à 10:00, Jean Dupont <j@example.fr> a écrit :",
                "Jean Dupont",
                "lun. 3 mars 2008 à 10:00",
                1,
            ),
            ("Carol Lee wrote:", "Carol Lee", "", 1),
            (
                "\"Doe, Jane\" <jane@example.org> writes:",
                "Doe, Jane",
                "",
                1,
            ),
        ];
        for (text, who, when, n) in cases {
            assert_eq!(
                who_when(text),
                (who.to_string(), when.to_string(), n),
                "{text}"
            );
        }
    }

    #[test]
    fn header_blocks() {
        let t = "> ------------------------------\n> From: nick at example.org\n> Date: Thu, 25 Feb 2016 15:23:39 +0000\n> Subject: Re: x\n> To: m at example.com\n> CC: a at example.org; b at\n>  example.org\n>\n> Hi";
        assert_eq!(
            who_when(t),
            (
                "nick at example.org".into(),
                "Thu, 25 Feb 2016 15:23:39 +0000".into(),
                7
            )
        );
        let t = "________________________________\nFrom: Jane Doe [mailto:jane@example.org]\nSent: Monday, March 3, 2008 10:00 AM\nTo: list\nSubject: x\n\nold text";
        assert_eq!(
            who_when(t),
            (
                "Jane Doe".into(),
                "Monday, March 3, 2008 10:00 AM".into(),
                5
            )
        );
        let t =
            "-----Original Message-----\nFrom: \"Roe, Jim\" <jim@example.org>\nSent: x\nTo: y\n";
        assert_eq!(who_when(t).0, "Roe, Jim");
        assert_eq!(who_when("-----Original Message-----\n\nold").2, 1);
    }

    #[test]
    fn prose_is_not_a_start() {
        for t in [
            "From: the start, we knew.\nIt was clear.",
            "From: jane@example.org\nThanks for the patch.",
            "On the other hand, this is\nwhat we wrote:",
            "On Monday we meet.\nBring the slides.",
            "wrote:",
            "__________________________________________\nList mailing list\nlist@example.org",
            "----------\n\nsome text",
            "Subject: a\nFrom: b\nTo: c",
            "I wrote:",
        ] {
            assert_eq!(start(t), None, "{t}");
        }
    }

    #[test]
    fn quoted_footers() {
        let lines = [
            "> text",
            "> _______________________________________________",
            "> Bp_spam mailing list",
            "> Bp_spam at example.org",
            "> http://example.org/mailman/listinfo/bp_spam",
            ">",
            "> more",
        ];
        assert_eq!(
            footer_lines(&lines),
            [false, true, true, true, true, false, false]
        );
    }
}

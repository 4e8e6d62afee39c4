//! Which lines of a text body are prose that the sender's client hard-wrapped, and which
//! must keep their lines exactly.
//!
//! Plain-text mail is wrapped at 72–80 columns by the sending client. On a phone those
//! lines wrap again, leaving every other line a stub; a paragraph recognised as merely
//! hard-wrapped is marked so that the stylesheet may reflow it on narrow screens. The
//! evidence is the wrap itself: each line but the last is long enough that the next
//! word would not have fitted on it. List items, rules and lines with `|` (signatures,
//! tables) are never reflowed; lines that start with whitespace, hold tabs or runs of
//! spaces (tables, ASCII art, code) and patch lines are not even wrapped: their block
//! scrolls sideways instead.

use super::quote_depth;
use super::wrapped::split_prefix;

/// How the stylesheet may lay out one line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Style {
    /// Never wrapped: code, tables, patches, indented text.
    pub keep: bool,
    /// A hard-wrapped line of prose that continues on the next line.
    pub soft: bool,
}

/// A line followed by a word that would take it past this many columns was wrapped by
/// its client (wrap columns are 72 to 80; a word is rarely shorter than 4 characters).
const WRAP_MIN: usize = 66;

/// Lines shorter than this are not taken for wrapped ones, whatever follows them.
const LINE_MIN: usize = 50;

/// Lines longer than this were not wrapped by a client.
const LINE_MAX: usize = 100;

fn starts_diff(c: &str) -> bool {
    c.starts_with("diff --git ")
        || c.starts_with("--- a/")
        || c.starts_with("+++ b/")
        || c.starts_with("@@ -")
        || c.starts_with("Index: ")
}

fn in_diff(c: &str) -> bool {
    c.is_empty()
        || c.starts_with([' ', '+', '-', '@', '\\'])
        || [
            "diff ",
            "index ",
            "new file",
            "deleted file",
            "similarity",
            "rename ",
            "old mode",
            "new mode",
            "Binary files",
            "Index: ",
            "====",
        ]
        .iter()
        .any(|p| c.starts_with(p))
}

/// Text laid out by hand: indented, tabbed, aligned in columns.
fn laid_out(c: &str) -> bool {
    c.starts_with([' ', '\t']) || c.contains('\t') || c.contains("   ")
}

/// A line that reads as running text (not a list item, a rule, code or a heading).
fn prose(c: &str) -> bool {
    let Some(first) = c.chars().next() else {
        return false;
    };
    if first.is_whitespace()
        || "-*+•#|>=_~{}[]<".contains(first)
        || c.ends_with(['{', ';'])
        || c.contains('|')
        || laid_out(c)
    {
        return false;
    }
    // `1. item`, `2) item`
    let digits = c.bytes().take_while(u8::is_ascii_digit).count();
    !(digits > 0 && c[digits..].starts_with(['.', ')']))
}

/// The style of each line, in one pass.
pub(super) fn classify(lines: &[&str]) -> Vec<Style> {
    let mut out = vec![Style::default(); lines.len()];
    let mut diff = false;
    for (i, l) in lines.iter().enumerate() {
        let (_, _, c) = split_prefix(l);
        diff = if diff { in_diff(c) } else { starts_diff(c) };
        out[i].keep = diff || laid_out(c);
        if out[i].keep || i + 1 >= lines.len() || !prose(c) {
            continue;
        }
        let next = lines[i + 1];
        let (_, p2, c2) = split_prefix(next);
        let (_, p1, _) = split_prefix(l);
        if p1 != p2 || quote_depth(l) != quote_depth(next) || !prose(c2) || starts_diff(c2) {
            continue;
        }
        // Every line of a wrapped paragraph fits the wrap width, the last one too.
        let len = l.chars().count();
        let word = c2
            .split_whitespace()
            .next()
            .map_or(0, |w| w.chars().count());
        out[i].soft = (LINE_MIN..=LINE_MAX).contains(&len)
            && len + 1 + word > WRAP_MIN
            && next.chars().count() <= LINE_MAX;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soft(text: &str) -> Vec<bool> {
        let lines: Vec<&str> = text.lines().collect();
        classify(&lines).iter().map(|s| s.soft).collect()
    }

    fn keep(text: &str) -> Vec<bool> {
        let lines: Vec<&str> = text.lines().collect();
        classify(&lines).iter().map(|s| s.keep).collect()
    }

    #[test]
    fn wrapped_paragraphs_flow() {
        let t = "Thanks for your feed-back and your interest. The revitalized BPFs are a\nrelatively recent innovation -- they started in this format in 2014 --\nwhile the Dynamic Coalitions have been with us since the IGF's inception.\n\nShort line.\nAnother.\n";
        assert_eq!(soft(t), [true, true, false, false, false, false]);
        let q = t.lines().map(|l| format!("> {l}\n")).collect::<String>();
        assert_eq!(soft(&q), [true, true, false, false, false, false]);
    }

    #[test]
    fn laid_out_text_keeps_its_lines() {
        let patch = "diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,2 +1,2 @@\n-int a = 1; /* a long enough comment line to reach the wrap column */\n+int a = 2; /* a long enough comment line to reach the wrap column */\n context\n\nThanks for the review, I will send a second version of the patch soon.\n";
        assert_eq!(soft(patch), vec![false; 9]);
        assert_eq!(
            keep(patch),
            [true, true, true, true, true, true, true, true, false]
        );
        let table = "Name      Value     Comment that is long enough to reach column\nfoo       1         and a second row that is about as long as the first\n";
        assert_eq!(soft(table), [false, false]);
        assert_eq!(keep(table), [true, true]);
        let code =
            "    if (x) { call_a_function_with_a_long_name(argument_one, argument_two);\n    }\n";
        assert_eq!(keep(code), [true, true]);
        let list = "- the first item of a list that is long enough to reach the wrap column\n- the second item\n1. numbered item that is long enough to reach the wrap column of mail\n2. second\n";
        assert_eq!(soft(list), vec![false; 4]);
        let sig = "Jane Doe | Senior Engineer | Example Corporation | +1 555 0100\nhttps://example.org/\n";
        assert_eq!(soft(sig), [false, false]);
        // Another quote depth is another paragraph.
        assert_eq!(
            soft("> a paragraph line that is long enough to reach the wrap column\n>> deeper\n"),
            [false, false]
        );
    }
}

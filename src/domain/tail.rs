//! Where the author of a body stops writing: the signature and the list's own footer.
//!
//! Rendering dims these lines and search leaves them out of the index (a footer would match
//! every search for the list's name, a signature every search for the sender's title). Both
//! must agree on where they start, or a reader would find a message by words the page shows
//! as not part of it; so the rule lives here, once.

/// A rule of underscores as Mailman puts above its footer.
pub fn is_footer_rule(line: &str) -> bool {
    let l = line.trim_end();
    l.len() >= 30 && l.bytes().all(|b| b == b'_')
}

/// Where the list's own footer starts: a rule of underscores with `… mailing list` below
/// it, or (as pipermail pages show it, the rule lost) a `… mailing list` line among the
/// last lines, followed by the list's address and where to unsubscribe.
pub fn live_footer(lines: &[&str]) -> Option<usize> {
    let ruled = (0..lines.len()).find(|&i| {
        is_footer_rule(lines[i])
            && lines[i + 1..lines.len().min(i + 5)]
                .iter()
                .any(|l| l.to_ascii_lowercase().contains("mailing list"))
    });
    ruled.or_else(|| {
        (lines.len().saturating_sub(6)..lines.len()).find(|&i| {
            let l = lines[i].trim_end();
            let after = &lines[i + 1..lines.len().min(i + 4)];
            l.len() <= 80
                && !l.starts_with(['>', ' ', '\t'])
                && l.to_ascii_lowercase().ends_with(" mailing list")
                && after
                    .first()
                    .is_some_and(|a| a.contains('@') || a.contains(" at "))
                && after.iter().any(|a| {
                    let a = a.to_ascii_lowercase();
                    a.contains("listinfo") || a.contains("unsubscribe")
                })
        })
    })
}

/// The lines that end a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail {
    /// Where the footer starts; the body's own text ends here when there is one.
    pub footer: Option<usize>,
    /// The signature separator (`-- ` or `--`), the last one above the footer.
    pub signature: Option<usize>,
}

impl Tail {
    pub fn of(lines: &[&str]) -> Tail {
        let footer = live_footer(lines);
        let end = footer.unwrap_or(lines.len());
        let signature = (0..end)
            .rev()
            .find(|&i| lines[i] == "-- " || lines[i] == "--");
        Tail { footer, signature }
    }

    /// Where the author's words end: the signature, else the footer, else the last line.
    pub fn words_end(&self, lines: usize) -> usize {
        self.signature.or(self.footer).unwrap_or(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail(text: &str) -> Tail {
        let lines: Vec<&str> = text.lines().collect();
        Tail::of(&lines)
    }

    #[test]
    fn footer_under_its_rule() {
        let rule = "_".repeat(47);
        let t = tail(&format!(
            "Hi\n-- \nAnn\n{rule}\nIgf mailing list\nIgf@x.org\nhttp://x.org/listinfo/igf\n"
        ));
        assert_eq!(
            t,
            Tail {
                footer: Some(3),
                signature: Some(1)
            }
        );
        assert_eq!(t.words_end(7), 1);
    }

    #[test]
    fn a_short_rule_or_one_not_naming_a_list_is_text() {
        let t = tail(&format!("Hi\n{}\nIgf mailing list\n", "_".repeat(29)));
        assert_eq!(t.footer, None);
        let t = tail(&format!("Hi\n{}\nmore\ntext\n", "_".repeat(40)));
        assert_eq!(t.footer, None);
        assert_eq!(t.words_end(4), 4);
    }

    #[test]
    fn footer_whose_rule_was_lost() {
        let t = tail("Hi\nIgf mailing list\nIgf at x.org\nhttp://x.org/mailman/listinfo/igf\n");
        assert_eq!(t.footer, Some(1));
        // Quoted or indented, it is someone else's footer.
        let t = tail("Hi\n> Igf mailing list\n> Igf at x.org\n> http://x.org/listinfo/igf\n");
        assert_eq!(t.footer, None);
        // Not followed by an address, it is a sentence.
        let t = tail("Hi\nWelcome to the Igf mailing list\nsee http://x.org/listinfo/igf\n");
        assert_eq!(t.footer, None);
    }

    #[test]
    fn the_last_separator_is_the_signature() {
        let t = tail("a\n--\nb\n-- \nc\n");
        assert_eq!(t.signature, Some(3));
        assert_eq!(tail("a\n---\nb\n").signature, None);
        assert_eq!(tail("").words_end(0), 0);
    }
}

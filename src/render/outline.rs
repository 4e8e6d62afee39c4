//! Listings of messages as nested lists: a month by thread, a thread's outline beside a
//! message, and the other orderings of a month grouped by author or subject.

use std::fmt::Write as _;

use crate::domain::escape::{Html, esc};

/// How deep listings nest. Reply chains can be thousands deep (and a forged `References:`
/// header makes them so); past this depth rows are shown flat at this depth, which keeps
/// pages small and readable and browsers' layout shallow.
pub const MAX_NESTING: usize = 30;

/// One row of a listing. Subjects and names keep their own direction (a Hebrew subject in
/// an English listing) by the stylesheet's `unicode-bidi` on listing rows, the same as
/// `dir="auto"` and `<bdi>` would do: a month's listing holds hundreds of rows, and the
/// attributes on each would make its page a tenth larger.
pub enum Entry {
    /// A message, linked to its page; with its date where the listing is not by thread:
    /// the instant (RFC 3339) and how the reader's language shows it.
    Message {
        href: String,
        subject: String,
        who: String,
        date: Option<(String, String)>,
    },
    /// The page's own message, in its thread's outline.
    Current { subject: String, who: String },
    /// A group's heading: an author, a subject.
    Heading(String),
}

impl Entry {
    fn write(&self, out: &mut String) {
        match self {
            Entry::Message {
                href,
                subject,
                who,
                date,
            } => {
                let _ = write!(
                    out,
                    "<a href=\"{}\">{}</a> <span class=\"who\">{}</span>",
                    esc(href),
                    esc(subject),
                    esc(who)
                );
                if let Some((instant, shown)) = date {
                    let _ = write!(
                        out,
                        " <time datetime=\"{}\">{}</time>",
                        esc(instant),
                        esc(shown)
                    );
                }
            }
            Entry::Current { subject, who } => {
                let _ = write!(
                    out,
                    "<strong aria-current=\"page\">{}</strong> <span class=\"who\">{}</span>",
                    esc(subject),
                    esc(who)
                );
            }
            Entry::Heading(h) => {
                let _ = write!(out, "<strong>{}</strong>", esc(h));
            }
        }
    }
}

/// A pre-order list of (depth, row) as nested `<ul>` lists, at most [`MAX_NESTING`] deep.
/// A row more than a level deeper than the one before sits inside empty `gap` items, one
/// per level skipped: a list holds only items.
pub fn nested_list(rows: &[(usize, Entry)], class: &str) -> Html {
    let mut out = String::new();
    let mut depth: isize = -1;
    for (d, entry) in rows {
        let d = (*d).min(MAX_NESTING) as isize;
        if d > depth {
            for i in depth..d {
                if i == -1 {
                    let _ = write!(out, "<ul class=\"{}\">", esc(class));
                } else {
                    out.push_str("<ul>");
                }
                if i + 1 < d {
                    out.push_str("<li class=\"gap\">");
                }
            }
            out.push_str("<li>");
        } else {
            out.push_str("</li>");
            for _ in d..depth {
                out.push_str("</ul></li>");
            }
            out.push_str("<li>");
        }
        entry.write(&mut out);
        depth = d;
    }
    if depth >= 0 {
        out.push_str("</li>");
        for _ in 0..depth {
            out.push_str("</ul></li>");
        }
        out.push_str("</ul>");
    }
    Html::trusted(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heading(h: &str) -> Entry {
        Entry::Heading(h.into())
    }

    #[test]
    fn nested_lists_balance() {
        let rows = vec![
            (0, heading("a")),
            (1, heading("b")),
            (2, heading("c")),
            (0, heading("d")),
        ];
        let html = nested_list(&rows, "t");
        assert_eq!(html.matches("<ul").count(), html.matches("</ul>").count());
        assert_eq!(html.matches("<li").count(), html.matches("</li>").count());
        // A chain 10,000 deep nests only MAX_NESTING levels.
        let deep: Vec<(usize, Entry)> = (0..10_000).map(|d| (d, heading("x"))).collect();
        let html = nested_list(&deep, "t");
        assert_eq!(html.matches("<ul").count(), MAX_NESTING + 1);
        assert_eq!(html.matches("<ul").count(), html.matches("</ul>").count());
        assert_eq!(html.matches("<li").count(), html.matches("</li>").count());
    }

    #[test]
    fn rows_are_escaped_text() {
        let rows = [
            (
                0,
                Entry::Message {
                    href: "/l/m/a%40b/".into(),
                    subject: "<i>".into(),
                    who: "A & B".into(),
                    date: Some(("2024-01-02T03:04:00Z".into(), "2 Jan 2024 <3>".into())),
                },
            ),
            (
                1,
                Entry::Current {
                    subject: "Re: <i>".into(),
                    who: "C".into(),
                },
            ),
        ];
        assert_eq!(
            nested_list(&rows, "tree").as_str(),
            "<ul class=\"tree\"><li><a href=\"/l/m/a%40b/\">&lt;i&gt;</a> <span class=\"who\">A &amp; B</span> <time datetime=\"2024-01-02T03:04:00Z\">2 Jan 2024 &lt;3&gt;</time><ul><li><strong aria-current=\"page\">Re: &lt;i&gt;</strong> <span class=\"who\">C</span></li></ul></li></ul>"
        );
    }
}

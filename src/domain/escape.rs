//! The two escapings every page needs: text into HTML, and a message key into one URL path
//! segment. Every stage that writes a page or a link uses these, so they live below all of
//! them. [`Html`] is the type that says a string went through the first.

use std::fmt;

/// Message keys are percent-encoded as one path segment so that `/`, `%`, `+`, `#`, `?`,
/// spaces and non-ASCII survive the round trip.
pub fn enc(key: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'@')
        .remove(b'$')
        .remove(b'!')
        .remove(b'=');
    percent_encoding::utf8_percent_encode(key, SET).to_string()
}

/// Percent-encoding for a query-string value (mailto fields).
pub fn enc_query(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Markup a page may print as it is. A page writes whatever a template prints, and mail is
/// written by strangers: so this type is what a template prints without escaping, and there
/// are only two ways to make one. [`Html::escape`] turns any text into it; [`Html::trusted`]
/// wraps markup, and only the renderer (the `render` module, which builds markup out of
/// escaped text and sanitized HTML) and this module call it, as a test in `lib.rs` checks.
/// Anything else that needs markup is a template, or asks the renderer for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Html(String);

impl Html {
    /// Text to be shown as text.
    pub fn escape(text: &str) -> Html {
        Html(esc(text))
    }

    /// Markup as the renderer built it. See the type's rule on who may call this.
    pub(crate) fn trusted(markup: String) -> Html {
        Html(markup)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reading the markup (its length, what it contains) is always safe; only making it is not.
impl std::ops::Deref for Html {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Html {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Templates print it without `|safe`: it is safe by how it was made.
impl askama::filters::HtmlSafe for Html {}

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use askama::Template;

    #[derive(Template)]
    #[template(source = "{{ text }}|{{ html }}", ext = "html")]
    struct Both<'a> {
        text: &'a str,
        html: &'a Html,
    }

    #[test]
    fn templates_escape_text_and_print_markup() {
        let html = Html::trusted("<b>a&amp;b</b>".into());
        let page = Both {
            text: "<b>",
            html: &html,
        };
        assert_eq!(page.render().unwrap(), "&#60;b&#62;|<b>a&amp;b</b>");
        assert_eq!(
            Html::escape("<a href='x'>&\"").as_str(),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
    }
}

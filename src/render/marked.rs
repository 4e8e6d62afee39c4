//! Search excerpts: text with the words a query matched marked.

use std::ops::Range;

use crate::domain::escape::{Html, esc};

/// `text` escaped, each of `marks` (byte ranges, in order) inside `<mark>`. A range that
/// is out of order, overlaps the one before or does not fall on characters is left
/// unmarked: the ranges come from the search index, not from this text's own reading.
pub fn marked(text: &str, marks: &[Range<usize>]) -> Html {
    let mut out = String::with_capacity(text.len() + 13 * marks.len());
    let mut at = 0;
    for m in marks {
        let (Some(before), Some(inside)) = (text.get(at..m.start), text.get(m.clone())) else {
            continue;
        };
        out.push_str(&esc(before));
        out.push_str("<mark>");
        out.push_str(&esc(inside));
        out.push_str("</mark>");
        at = m.end;
    }
    out.push_str(&esc(text.get(at..).unwrap_or_default()));
    Html::trusted(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_wrap_escaped_text() {
        let t = "a <b> & é c";
        assert_eq!(
            marked(t, &[2..5, 8..10]).as_str(),
            "a <mark>&lt;b&gt;</mark> &amp; <mark>é</mark> c"
        );
        assert_eq!(marked(t, &[]).as_str(), "a &lt;b&gt; &amp; é c");
        // Ranges that do not fit the text are ignored, not trusted.
        assert_eq!(
            marked(t, &[2..5, 3..4, 9..10, 40..50]).as_str(),
            "a <mark>&lt;b&gt;</mark> &amp; é c"
        );
    }
}

//! Message body -> safe HTML. Everything from the message is escaped; structure (quote
//! levels, signature) is added as markup around the escaped text.

use crate::web::util::esc;

/// Renders a decoded text body: quoted lines styled by depth, the signature dimmed.
pub fn text_body(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut in_sig = false;
    for line in text.lines() {
        if line == "-- " || line == "--" && !in_sig {
            in_sig = true;
            out.push_str("<span class=\"sig\">");
        }
        let depth = line
            .chars()
            .take_while(|c| *c == '>' || *c == ' ')
            .filter(|c| *c == '>')
            .count();
        if depth > 0 && !in_sig {
            out.push_str(&format!(
                "<span class=\"q q{}\">{}</span>\n",
                depth.min(4),
                esc(line)
            ));
        } else {
            out.push_str(&esc(line));
            out.push('\n');
        }
    }
    if in_sig {
        out.push_str("</span>");
    }
    out
}

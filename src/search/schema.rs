//! What the index holds of a message, and how a message becomes a document: the fields
//! and their analyzers, and the body split into the author's words and quoted text. A
//! change here changes what is stored, so it goes with a new [`super::PAYLOAD_PREFIX`].

use std::path::Path;

use anyhow::Context;
use tantivy::directory::MmapDirectory;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, TantivyDocument};

use super::tokenize;
use crate::domain::tail::Tail;
use crate::store::IndexDoc;

/// Bodies are indexed up to this size (a 50 MB line is not prose).
pub(super) const MAX_BODY_INDEXED: usize = 1 << 20;

#[derive(Clone, Copy)]
pub(super) struct Fields {
    pub(super) id: Field,
    pub(super) msgid: Field,
    pub(super) subject: Field,
    pub(super) subject_x: Field,
    pub(super) body: Field,
    pub(super) body_x: Field,
    pub(super) quoted: Field,
    pub(super) from: Field,
    pub(super) attach: Field,
    pub(super) has: Field,
    pub(super) list: Field,
    pub(super) date: Field,
}

pub(super) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Stemmed fields answer single words only (a phrase, or a word that splits into
    // several tokens, goes to the exact fields), so they need no positions.
    let text = |analyzer: &str, positions: bool| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(if positions {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                }),
        )
    };
    let f = Fields {
        id: b.add_u64_field("id", INDEXED | FAST),
        msgid: b.add_text_field("msgid", STRING),
        subject: b.add_text_field("subject", text(tokenize::STEMMED, false)),
        subject_x: b.add_text_field("subject_x", text(tokenize::EXACT, true)),
        body: b.add_text_field("body", text(tokenize::STEMMED, false)),
        body_x: b.add_text_field("body_x", text(tokenize::EXACT, true)),
        quoted: b.add_text_field("quoted", text(tokenize::EXACT, true)),
        from: b.add_text_field("from", text(tokenize::EXACT, true)),
        attach: b.add_text_field("attach", text(tokenize::EXACT, true)),
        has: b.add_text_field("has", STRING),
        list: b.add_u64_field("list", INDEXED | FAST),
        date: b.add_i64_field("date", INDEXED | FAST),
    };
    (b.build(), f)
}
pub(super) fn open_index(dir: &Path, schema: &Schema) -> anyhow::Result<Index> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut index = Index::open_or_create(MmapDirectory::open(dir)?, schema.clone())?;
    index.set_tokenizers(tokenize::manager());
    Ok(index)
}
/// The author's own words and the quoted text of a body, without the signature and the
/// list footer (they would match every search for the list's name or the sender's title).
pub fn split_body(body: &str) -> (String, String) {
    let lines: Vec<&str> = body.lines().collect();
    let end = Tail::of(&lines).words_end(lines.len());
    let mut own = String::new();
    let mut quoted = String::new();
    for (i, l) in lines[..end].iter().enumerate() {
        let t = l.trim_start();
        let next_quoted = lines
            .get(i + 1)
            .is_some_and(|n| n.trim_start().starts_with('>'));
        let attribution = next_quoted && (t.ends_with("wrote:") || t.ends_with("writes:"));
        let target = if t.starts_with('>') || attribution {
            &mut quoted
        } else {
            &mut own
        };
        if target.len() < MAX_BODY_INDEXED {
            target.push_str(l);
            target.push('\n');
        }
    }
    (own, quoted)
}
pub(super) fn to_doc(f: &Fields, d: &IndexDoc) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_u64(f.id, d.id as u64);
    doc.add_text(f.msgid, &d.message_id);
    if d.mkey != d.message_id {
        doc.add_text(f.msgid, &d.mkey);
    }
    doc.add_text(f.subject, &d.subject);
    doc.add_text(f.subject_x, &d.subject);
    let (own, quoted) = split_body(&d.body_text);
    doc.add_text(f.body, &own);
    doc.add_text(f.body_x, &own);
    doc.add_text(f.quoted, &quoted);
    doc.add_text(f.from, format!("{} {}", d.from_name, d.from_addr));
    for a in &d.attachment_names {
        doc.add_text(f.attach, a);
    }
    if d.attachment_count > 0 {
        doc.add_text(f.has, "attachment");
    }
    for &l in &d.lists {
        doc.add_u64(f.list, l as u64);
    }
    if let Some(date) = d.date {
        doc.add_i64(f.date, date);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::split_body;

    #[test]
    fn the_index_leaves_out_what_the_page_dims() {
        let body = "Ann wrote:\n> the plan\nI agree.\n-- \nBob, Chair\nIgf mailing list\nIgf at x.org\nhttp://x.org/mailman/listinfo/igf\n";
        let (own, quoted) = split_body(body);
        assert_eq!(own, "I agree.\n");
        assert_eq!(quoted, "Ann wrote:\n> the plan\n");
        // A long signature is still a signature, as the page shows it.
        let long = format!("Hi\n-- \n{}", "Disclaimer line\n".repeat(30));
        assert_eq!(split_body(&long).0, "Hi\n");
    }
}

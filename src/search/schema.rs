//! What the index holds of a message, and how a message becomes a document: the fields
//! and their analyzers, and the body split into the author's words and quoted text. A
//! change here changes what is stored, so it goes with a new [`super::PAYLOAD_PREFIX`].

use std::path::Path;

use anyhow::Context;
use tantivy::Index;
use tantivy::directory::MmapDirectory;
use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf};
use tantivy::schema::{
    Document, FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};

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
/// A message as the index writer reads it. The writer's threads index straight from these
/// texts (tantivy reads any [`Document`] without copying it), so the author's words are
/// held once for both their stemmed and their exact field, and nothing is copied into a
/// `TantivyDocument` first.
pub(super) struct Entry {
    f: Fields,
    id: u64,
    msgids: Vec<String>,
    subject: String,
    own: String,
    quoted: String,
    from: String,
    attach: Vec<String>,
    has_attachment: bool,
    lists: Vec<u64>,
    date: Option<i64>,
    /// Held until the writer has indexed the entry and drops it: see [`Entry::weight`].
    pub(super) permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Entry {
    pub(super) fn new(f: Fields, d: IndexDoc) -> Entry {
        let (own, quoted) = split_body(&d.body_text);
        let mut msgids = vec![d.message_id];
        if d.mkey != msgids[0] {
            msgids.push(d.mkey);
        }
        Entry {
            f,
            id: d.id as u64,
            msgids,
            subject: d.subject,
            own,
            quoted,
            from: format!("{} {}", d.from_name, d.from_addr),
            attach: d.attachment_names,
            has_attachment: d.attachment_count > 0,
            lists: d.lists.iter().map(|&l| l as u64).collect(),
            date: d.date,
            permit: None,
        }
    }

    /// KiB of text the entry holds while it waits in the writer's queue: the feeder takes
    /// that much from a budget before handing it over, and the writer gives it back when
    /// done, so a writer slower than its feeder holds a bounded amount of mail (its own
    /// queue is bounded only in entries, 10,000 of them).
    pub(super) fn weight(&self) -> u32 {
        let bytes = self.own.len()
            + self.quoted.len()
            + self.subject.len()
            + self.from.len()
            + self.attach.iter().map(String::len).sum::<usize>();
        u32::try_from(bytes / 1024 + 1).unwrap_or(u32::MAX)
    }
}

/// A value of an [`Entry`], borrowed from it.
#[derive(Clone, Debug)]
pub(super) enum EntryValue<'a> {
    Str(&'a str),
    U64(u64),
    I64(i64),
}

impl<'a> Value<'a> for EntryValue<'a> {
    type ArrayIter = std::iter::Empty<EntryValue<'a>>;
    type ObjectIter = std::iter::Empty<(&'a str, EntryValue<'a>)>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        ReferenceValue::Leaf(match *self {
            EntryValue::Str(s) => ReferenceValueLeaf::Str(s),
            EntryValue::U64(n) => ReferenceValueLeaf::U64(n),
            EntryValue::I64(n) => ReferenceValueLeaf::I64(n),
        })
    }
}

impl Document for Entry {
    type Value<'a> = EntryValue<'a>;
    type FieldsValuesIter<'a> = std::vec::IntoIter<(Field, EntryValue<'a>)>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        let f = &self.f;
        let mut v = Vec::with_capacity(12 + self.attach.len() + self.lists.len());
        v.push((f.id, EntryValue::U64(self.id)));
        for m in &self.msgids {
            v.push((f.msgid, EntryValue::Str(m)));
        }
        v.push((f.subject, EntryValue::Str(&self.subject)));
        v.push((f.subject_x, EntryValue::Str(&self.subject)));
        v.push((f.body, EntryValue::Str(&self.own)));
        v.push((f.body_x, EntryValue::Str(&self.own)));
        v.push((f.quoted, EntryValue::Str(&self.quoted)));
        v.push((f.from, EntryValue::Str(&self.from)));
        for a in &self.attach {
            v.push((f.attach, EntryValue::Str(a)));
        }
        if self.has_attachment {
            v.push((f.has, EntryValue::Str("attachment")));
        }
        for &l in &self.lists {
            v.push((f.list, EntryValue::U64(l)));
        }
        if let Some(d) = self.date {
            v.push((f.date, EntryValue::I64(d)));
        }
        v.into_iter()
    }
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

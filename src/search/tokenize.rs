//! Tokenization for mail in any script. Words are runs of letters and digits, as in most
//! search engines; CJK text has no spaces between words, so each Han, kana or Hangul
//! character is a token of its own and a CJK query term becomes a phrase of characters.
//! That finds any CJK word without a dictionary, at the cost of some precision.

use std::collections::HashMap;

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenFilter,
    TokenStream, Tokenizer, TokenizerManager,
};

/// Analyzer names registered on the index.
pub const EXACT: &str = "larch_exact";
pub const STEMMED: &str = "larch_stem";

/// Whether `c` is written without spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF     // Hiragana, Katakana
        | 0x31F0..=0x31FF   // Katakana extensions
        | 0x3400..=0x4DBF   // Han extension A
        | 0x4E00..=0x9FFF   // Han
        | 0xF900..=0xFAFF   // Han compatibility
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0x1100..=0x11FF   // Hangul jamo
        | 0x3130..=0x318F   // Hangul compatibility jamo
        | 0xFF66..=0xFF9F   // half-width Katakana
        | 0x20000..=0x2FA1F // Han extensions B..
    )
}

#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
}

/// Streams tokens without allocating one string per token (the token is reused).
pub struct WordStream<'a> {
    text: &'a str,
    chars: std::str::CharIndices<'a>,
    token: &'a mut Token,
    /// A CJK character met while ending a word: it is the next token.
    pending: Option<(usize, char)>,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.token.reset();
        WordStream {
            text,
            chars: text.char_indices(),
            token: &mut self.token,
            pending: None,
        }
    }
}

impl WordStream<'_> {
    fn emit(&mut self, from: usize, to: usize) -> bool {
        self.token.position = self.token.position.wrapping_add(1);
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
        true
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        if let Some((i, c)) = self.pending.take() {
            return self.emit(i, i + c.len_utf8());
        }
        let mut start: Option<usize> = None;
        while let Some((i, c)) = self.chars.next() {
            if is_cjk(c) {
                if let Some(s) = start {
                    self.pending = Some((i, c));
                    return self.emit(s, i);
                }
                return self.emit(i, i + c.len_utf8());
            } else if c.is_alphanumeric() {
                start.get_or_insert(i);
            } else if let Some(s) = start {
                return self.emit(s, i);
            }
        }
        match start {
            Some(s) => self.emit(s, self.text.len()),
            None => false,
        }
    }
    fn token(&self) -> &Token {
        self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// English (Snowball) stemming that remembers the stems it has computed. Mail repeats a
/// small vocabulary: most of a body's words were stemmed already, in this message or an
/// earlier one, and the lookup costs a fraction of the stemming, which was a fifth of the
/// index build's time. Each analyzer clone (one per indexing thread and segment) keeps its
/// own memo, emptied when it reaches [`Memo::MAX`] words.
#[derive(Clone, Copy)]
pub struct MemoStemmer;

impl TokenFilter for MemoStemmer {
    type Tokenizer<T: Tokenizer> = MemoStemmerFilter<T>;
    fn transform<T: Tokenizer>(self, inner: T) -> MemoStemmerFilter<T> {
        MemoStemmerFilter {
            inner,
            memo: Memo::default(),
        }
    }
}

#[derive(Clone, Default)]
pub struct Memo(HashMap<Box<str>, Box<str>>);

impl Memo {
    /// Words kept: some megabytes at most, more than a list's working vocabulary.
    const MAX: usize = 100_000;

    fn stem_into(&mut self, stemmer: &frostem::Stemmer, text: &mut String) {
        if let Some(s) = self.0.get(text.as_str()) {
            text.clear();
            text.push_str(s);
            return;
        }
        let stem: Box<str> = stemmer.stem(text).into();
        if self.0.len() >= Self::MAX {
            self.0.clear();
        }
        self.0.insert(text.as_str().into(), stem.clone());
        text.clear();
        text.push_str(&stem);
    }
}

#[derive(Clone)]
pub struct MemoStemmerFilter<T> {
    inner: T,
    memo: Memo,
}

impl<T: Tokenizer> Tokenizer for MemoStemmerFilter<T> {
    type TokenStream<'a> = MemoStemmerStream<'a, T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MemoStemmerStream {
            tail: self.inner.token_stream(text),
            memo: &mut self.memo,
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
        }
    }
}

pub struct MemoStemmerStream<'a, T> {
    tail: T,
    memo: &'a mut Memo,
    stemmer: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for MemoStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        self.memo.stem_into(&self.stemmer, &mut token.text);
        true
    }
    fn token(&self) -> &Token {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

pub fn exact() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

pub fn stemmed() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(MemoStemmer)
        .build()
}

pub fn manager() -> TokenizerManager {
    let m = TokenizerManager::default();
    m.register(EXACT, exact());
    m.register(STEMMED, stemmed());
    m
}

/// The terms `text` yields under an analyzer, in order.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut s = analyzer.token_stream(text);
    while s.advance() {
        out.push(s.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_cjk() {
        let t = terms(&mut exact(), "Ünïcode café, 日本語テスト and foo_bar");
        assert_eq!(
            t,
            [
                "unicode", "cafe", "日", "本", "語", "テ", "ス", "ト", "and", "foo", "bar"
            ]
        );
        assert_eq!(terms(&mut stemmed(), "patches Applied"), ["patch", "appli"]);
        // Remembered stems are the stems: the second time through reads the memo.
        let text = "Running runs; the runner ran. Patches applied, patching applies.";
        let mut plain = TextAnalyzer::builder(WordTokenizer::default())
            .filter(RemoveLongFilter::limit(48))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(tantivy::tokenizer::Stemmer::new(
                tantivy::tokenizer::Language::English,
            ))
            .build();
        let want = terms(&mut plain, text);
        let mut memo = stemmed();
        assert_eq!(terms(&mut memo, text), want);
        assert_eq!(terms(&mut memo, text), want);
        assert!(terms(&mut exact(), "  ,;:!  ").is_empty());
        let mut a = exact();
        let mut st = a.token_stream("ab日本 cd");
        let mut seen = Vec::new();
        while st.advance() {
            let t = st.token();
            seen.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        assert_eq!(
            seen,
            [
                ("ab".to_string(), 0, 0, 2),
                ("日".to_string(), 1, 2, 5),
                ("本".to_string(), 2, 5, 8),
                ("cd".to_string(), 3, 9, 11)
            ]
        );
    }
}

//! Tokenization for mail in any script. Words are runs of letters and digits, as in most
//! search engines; CJK text has no spaces between words, so each Han, kana or Hangul
//! character is a token of its own and a CJK query term becomes a phrase of characters.
//! That finds any CJK word without a dictionary, at the cost of some precision.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token,
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
        .filter(Stemmer::new(Language::English))
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

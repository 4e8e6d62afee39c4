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
pub struct WordTokenizer;

pub struct WordStream {
    tokens: Vec<Token>,
    next: usize,
    spare: Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        let mut tokens = Vec::new();
        let mut start: Option<usize> = None;
        let push = |from: usize, to: usize, tokens: &mut Vec<Token>| {
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position: tokens.len(),
                text: text[from..to].to_string(),
                position_length: 1,
            });
        };
        for (i, c) in text.char_indices() {
            if is_cjk(c) {
                if let Some(s) = start.take() {
                    push(s, i, &mut tokens);
                }
                push(i, i + c.len_utf8(), &mut tokens);
            } else if c.is_alphanumeric() {
                start.get_or_insert(i);
            } else if let Some(s) = start.take() {
                push(s, i, &mut tokens);
            }
        }
        if let Some(s) = start {
            push(s, text.len(), &mut tokens);
        }
        WordStream {
            tokens,
            next: 0,
            spare: Token::default(),
        }
    }
}

impl TokenStream for WordStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        match self.next.checked_sub(1) {
            Some(i) => &self.tokens[i],
            None => &self.spare,
        }
    }
    fn token_mut(&mut self) -> &mut Token {
        match self.next.checked_sub(1) {
            Some(i) => &mut self.tokens[i],
            None => &mut self.spare,
        }
    }
}

pub fn exact() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer)
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

pub fn stemmed() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer)
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
    }
}

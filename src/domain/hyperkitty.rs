//! HyperKitty's name for a message: the base32 of the SHA-1 of its Message-ID (without the
//! angle brackets), as Mailman 3 stamps in `Message-ID-Hash` and HyperKitty puts in every
//! message and thread URL. It depends on the Message-ID alone, so links of an archive that
//! moved from Mailman 3 can be answered without its database.

use sha1::{Digest, Sha1};

/// The 32-character hash (RFC 4648 base32, upper case, no padding: 20 bytes are 160 bits,
/// exactly 32 characters).
pub fn message_id_hash(message_id: &str) -> String {
    let id = message_id.trim();
    let id = id
        .strip_prefix('<')
        .and_then(|i| i.strip_suffix('>'))
        .unwrap_or(id);
    let digest = Sha1::digest(id.as_bytes());
    base32(&digest)
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Whether `s` can be such a hash (what a URL segment must be before it is looked up).
pub fn is_hash(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'A'..=b'Z' | b'2'..=b'7'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Mailman 3's own message-store documentation.
    #[test]
    fn mailman_documents_this_hash() {
        assert_eq!(
            message_id_hash("<87myycy5eh.fsf@uwakimon.sk.tsukuba.ac.jp>"),
            "JJIGKPKB6CVDX6B2CUG4IHAJRIQIOUTP"
        );
        assert_eq!(
            message_id_hash("87myycy5eh.fsf@uwakimon.sk.tsukuba.ac.jp"),
            "JJIGKPKB6CVDX6B2CUG4IHAJRIQIOUTP"
        );
        assert!(is_hash("JJIGKPKB6CVDX6B2CUG4IHAJRIQIOUTP"));
        assert!(!is_hash("JJIGKPKB6CVDX6B2CUG4IHAJRIQIOUT1"));
    }

    #[test]
    fn base32_matches_rfc_4648() {
        // RFC 4648 section 10, without padding.
        for (i, o) in [
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(i.as_bytes()), o);
        }
    }
}

//! How raw messages are kept: deflated, fast level (mail compresses ~3:1 and the import
//! must stay quick). The store owns this format: importers compress through it (on their
//! own threads), and every reader gets the original bytes back through it, whole or as a
//! stream.

use std::io::{Read, Write};

use bytes::Bytes;
use futures::{Stream, StreamExt};

use super::{Error, Result};

/// The stored form of a raw message. Each thread keeps one compressor and resets it: a new
/// one per message allocated and zeroed its tables every time, a tenth of the compression's
/// cost at import.
pub fn compress(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    use flate2::{Compress, Compression, FlushCompress, Status};
    thread_local! {
        static DEFLATE: std::cell::RefCell<Compress> =
            std::cell::RefCell::new(Compress::new(Compression::fast(), false));
    }
    DEFLATE.with_borrow_mut(|z| {
        z.reset();
        let mut out = Vec::with_capacity(raw.len() / 3 + 64);
        loop {
            let read = usize::try_from(z.total_in())
                .unwrap_or(raw.len())
                .min(raw.len());
            let status = z
                .compress_vec(&raw[read..], &mut out, FlushCompress::Finish)
                .map_err(std::io::Error::other)?;
            if status == Status::StreamEnd {
                return Ok(out);
            }
            // Out of room: compress_vec writes only into spare capacity.
            out.reserve(out.capacity().max(64));
        }
    })
}

/// Undoes [`compress`]. Only the store inflates: everyone else gets original bytes from
/// it ([`ExportRow::raw`](super::ExportRow::raw), [`Store::raw_chunks`](super::Store::raw_chunks)).
pub(super) fn inflate(z: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(z.len() * 3);
    flate2::read::DeflateDecoder::new(z).read_to_end(&mut out)?;
    Ok(out)
}

/// Undoes [`compress`] chunk by chunk as a stream of the stored bytes is read, so that a
/// download holds one chunk at a time. Stored bytes that do not inflate are
/// [`Error::Damaged`]; the stream's own errors pass through.
pub(super) fn inflating(
    chunks: impl Stream<Item = Result<Bytes>> + Send + 'static,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
    let inflater = flate2::write::DeflateDecoder::new(Vec::new());
    futures::stream::try_unfold(
        (Box::pin(chunks), Some(inflater)),
        |(mut chunks, inflater)| async move {
            let Some(mut inflater) = inflater else {
                return Ok(None);
            };
            match chunks.next().await {
                Some(c) => {
                    inflater.write_all(&c?).map_err(Error::damaged)?;
                    let out = Bytes::from(std::mem::take(inflater.get_mut()));
                    Ok(Some((out, (chunks, Some(inflater)))))
                }
                None => {
                    let rest = inflater.finish().map_err(Error::damaged)?;
                    Ok(Some((Bytes::from(rest), (chunks, None))))
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_whole_and_in_chunks() {
        let raw: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let z = compress(&raw).unwrap();
        assert_eq!(inflate(&z).unwrap(), raw);
        let chunks: Vec<Result<Bytes>> = z
            .chunks(1000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let out = futures::executor::block_on(
            inflating(futures::stream::iter(chunks))
                .map(|c| c.unwrap().to_vec())
                .concat(),
        );
        assert_eq!(out.len(), raw.len());
        assert!(out == raw);
    }

    /// The reused compressor starts afresh for every message: each comes back whole, also
    /// after an empty one and one that does not compress (which outgrows the first buffer).
    #[test]
    fn a_reused_compressor_round_trips_message_after_message() {
        let mut noise = Vec::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..300_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            noise.push(x as u8);
        }
        let text = b"From: a@example.org\nSubject: hello\n\nbody line\n".repeat(500);
        for raw in [&text[..], b"", &noise[..], b"x", &text[..]] {
            let z = compress(raw).unwrap();
            assert!(inflate(&z).unwrap() == raw, "{} bytes", raw.len());
        }
    }
}

//! How raw messages are kept: deflated, fast level (mail compresses ~3:1 and the import
//! must stay quick). The store owns this format: importers compress through it (on their
//! own threads), and every reader gets the original bytes back through it, whole or as a
//! stream.

use std::io::{Read, Write};

use bytes::Bytes;
use futures::{Stream, StreamExt};

use super::{Error, Result};

/// The stored form of a raw message.
pub fn compress(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut e = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(raw.len() / 3),
        flate2::Compression::fast(),
    );
    e.write_all(raw)?;
    let mut z = e.finish()?;
    // The import holds thousands of these in flight, weighed by their length: their
    // spare capacity (up to half again) would be memory no budget counts.
    z.shrink_to_fit();
    Ok(z)
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
}

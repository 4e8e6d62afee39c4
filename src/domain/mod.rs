//! The archive's own terms, below every stage: the normalized message and the envelope it
//! came in, months, threading, and the escapings pages need. Nothing here imports another
//! module of the crate (a unit test in `lib.rs` checks it), so readers, the store, search,
//! rendering and the web all build on the same definitions and never on each other.

pub mod envelope;
pub mod escape;
pub mod hyperkitty;
pub mod month;
pub mod normalize;
pub mod scrubbed;
pub mod secret;
pub mod tail;
pub mod thread;
pub mod volume;

/// Largest message an import or a live delivery takes, unless configured otherwise. Far
/// above real list mail (list servers cap posts at a few MB), low enough that one message
/// never threatens the machine. Here, below every stage, because both the readers and the
/// web's archiver API bound what they accept by it.
pub const MAX_MESSAGE_SIZE: u64 = 64 * 1024 * 1024;

/// What is kept of a message over the size limit, for its reject record: its start, which
/// holds the headers that identify it. Here for the same reason as [`MAX_MESSAGE_SIZE`].
pub const OVERSIZED_KEPT_BYTES: usize = 64 * 1024;

//! Integration tests: one binary, modules per area. Tests that need the real corpora read
//! them through `LARCH_CORPORA` and skip, saying so, when it is unset.

mod api;
mod backends;
mod browser;
mod common;
mod corpora;
mod crash;
mod fuzz;
mod hostile;
mod hostile_ingest;
mod hostile_render;
mod languages;
mod live;
mod mailman;
mod mbox_offsets;
mod migrate;
mod old_links;
mod ops;
mod pg;
mod pipermail;
mod postgres;
mod private;
mod public_inbox;
mod render;
mod replica;
mod scale;
mod scaleout;
mod search;
mod search_robust;
mod seeds;
mod snapshots;
mod threading;
mod volumes;
mod web;

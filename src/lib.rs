//! larch: a mailing-list archive server that imports mbox, maildir and pipermail archives
//! into SQLite, threads them, and serves them on the web.

pub mod cli;
pub mod config;
pub mod demo;
pub mod ingest;
pub mod pause;
pub mod render;
pub mod search;
pub mod store;
pub mod web;

#[cfg(test)]
mod test_util;

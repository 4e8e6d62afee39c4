//! Incremental JWZ threading for one list.
//!
//! Nodes are keyed by message key; a node the archive does not hold yet is a ghost, so a
//! reply that arrives before its parent hangs under the parent's ghost and is re-parented
//! for free when the parent arrives (the ghost becomes real). A real message's own headers
//! decide its parent: In-Reply-To when present (it names what the author answered; notmuch
//! does the same, and it survives reversed or mistyped References), else the last
//! reference. References supply the ancestry between ghosts. A link that would close a loop
//! is refused. A "Re:" message with no reply headers at all joins the most recent thread with
//! the same subject in this list, if that thread saw a message within 30 days.
//!
//! Thread identity is a union-find over thread numbers; merges are recorded so the store
//! can renumber rows it holds. The state is loaded from the store at the start of an import
//! and every change is written back in the same transaction as the messages, so an
//! interrupted import resumes exactly where it stopped.

use std::collections::{HashMap, HashSet};

const NONE: u32 = u32::MAX;
const UNASSIGNED: i64 = 0;
const SUBJECT_WINDOW: i64 = 30 * 86_400;

#[derive(Debug, Clone)]
struct Node {
    parent: u32,
    thread: i64,
    real: bool,
    via_subject: bool,
    seq: Option<i64>,
}

/// A node as stored: what the store reads back and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    pub key: String,
    pub parent: Option<String>,
    pub thread: i64,
    pub real: bool,
    pub via_subject: bool,
    pub seq: Option<i64>,
}

/// What a message brings to threading.
pub struct Incoming<'a> {
    pub key: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub references: &'a [String],
    pub is_reply_subject: bool,
    pub subject_key: &'a str,
    pub date: Option<i64>,
}

#[derive(Default)]
pub struct Threader {
    keys: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
    nodes: Vec<Node>,
    /// Union-find over thread numbers: an entry maps a merged-away thread to its successor.
    merged: HashMap<i64, i64>,
    /// Subject key -> most recent real node with it, and that node's date.
    subjects: HashMap<String, (u32, i64)>,
    next_thread: i64,
    next_seq: i64,
    dirty: HashSet<u32>,
    dirty_threads: HashSet<i64>,
    /// (from, to) thread merges since the last `take_changes`, in order.
    merges: Vec<(i64, i64)>,
}

/// Everything that changed since the last call, for the store to write.
#[derive(Debug, Default)]
pub struct Changes {
    pub nodes: Vec<NodeRow>,
    pub merges: Vec<(i64, i64)>,
    pub threads: Vec<i64>,
    pub next_thread: i64,
}

impl Threader {
    pub fn new(next_thread: i64) -> Self {
        Self {
            next_thread: next_thread.max(1),
            ..Default::default()
        }
    }

    /// Restores a node read from the store (with the date and subject key of its message,
    /// for the subject fallback).
    pub fn load(&mut self, row: NodeRow, subject: Option<(&str, i64)>) {
        let idx = self.intern(&row.key);
        let parent = row.parent.as_deref().map_or(NONE, |p| self.intern(p));
        let n = &mut self.nodes[idx as usize];
        n.parent = parent;
        n.thread = row.thread;
        n.real = row.real;
        n.via_subject = row.via_subject;
        n.seq = row.seq;
        if let Some(s) = row.seq {
            self.next_seq = self.next_seq.max(s + 1);
        }
        self.next_thread = self.next_thread.max(row.thread + 1);
        if let Some((key, date)) = subject {
            self.note_subject(key, idx, date);
        }
    }

    /// Forgets the changes that loading recorded: what was read from the store is already
    /// there, and writing it back would cost every import and live delivery a rewrite of
    /// the whole list's nodes.
    pub fn mark_loaded(&mut self) {
        self.dirty.clear();
        self.dirty_threads.clear();
        self.merges.clear();
    }

    /// Index of a key, creating a ghost with no thread yet (`UNASSIGNED`) when new.
    fn intern(&mut self, key: &str) -> u32 {
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        let i = self.nodes.len() as u32;
        let b: Box<str> = key.into();
        self.keys.push(b.clone());
        self.index.insert(b, i);
        self.nodes.push(Node {
            parent: NONE,
            thread: UNASSIGNED,
            real: false,
            via_subject: false,
            seq: None,
        });
        self.dirty.insert(i);
        i
    }

    /// Puts all `members` in one thread: the lowest existing one, or a new one; nodes
    /// without a thread join it directly, so fresh ghosts cause no merges.
    fn unite(&mut self, members: &[u32]) -> i64 {
        let existing: Vec<i64> = members
            .iter()
            .map(|&m| self.nodes[m as usize].thread)
            .filter(|&t| t != UNASSIGNED)
            .map(|t| self.find(t))
            .collect();
        let target = match existing.iter().min() {
            Some(&t) => t,
            None => {
                let t = self.next_thread;
                self.next_thread += 1;
                t
            }
        };
        for t in existing {
            self.union(target, t);
        }
        let target = self.find(target);
        for &m in members {
            if self.nodes[m as usize].thread == UNASSIGNED {
                self.nodes[m as usize].thread = target;
                self.dirty.insert(m);
            }
        }
        self.dirty_threads.insert(target);
        target
    }

    fn find(&self, mut t: i64) -> i64 {
        while let Some(&n) = self.merged.get(&t) {
            t = n;
        }
        t
    }

    fn union(&mut self, a: i64, b: i64) -> i64 {
        let (a, b) = (self.find(a), self.find(b));
        if a == b {
            return a;
        }
        let (keep, gone) = if a < b { (a, b) } else { (b, a) };
        self.merged.insert(gone, keep);
        self.merges.push((gone, keep));
        self.dirty_threads.insert(keep);
        self.dirty_threads.insert(gone);
        keep
    }

    /// Whether making `parent` the parent of `child` would close a loop.
    fn would_loop(&self, child: u32, parent: u32) -> bool {
        let mut cur = parent;
        let mut steps = 0usize;
        while cur != NONE {
            if cur == child {
                return true;
            }
            cur = self.nodes[cur as usize].parent;
            steps += 1;
            if steps > self.nodes.len() {
                return true;
            }
        }
        false
    }

    fn set_parent(&mut self, child: u32, parent: u32) {
        if self.nodes[child as usize].parent != parent {
            self.nodes[child as usize].parent = parent;
            self.dirty.insert(child);
        }
    }

    fn note_subject(&mut self, key: &str, idx: u32, date: i64) {
        if key.is_empty() {
            return;
        }
        match self.subjects.get_mut(key) {
            Some(e) if e.1 > date => {}
            Some(e) => *e = (idx, date),
            None => {
                self.subjects.insert(key.to_string(), (idx, date));
            }
        }
    }

    fn root_of(&self, mut n: u32) -> u32 {
        let mut steps = 0usize;
        while self.nodes[n as usize].parent != NONE && steps <= self.nodes.len() {
            n = self.nodes[n as usize].parent;
            steps += 1;
        }
        n
    }

    /// Whether the list already holds a real message under this key.
    pub fn contains(&self, key: &str) -> bool {
        self.index
            .get(key)
            .is_some_and(|&i| self.nodes[i as usize].real)
    }

    /// Threads a new real message; returns its parent key (if any).
    pub fn add(&mut self, m: &Incoming<'_>) -> Option<String> {
        let k = self.intern(m.key);
        {
            let seq = self.next_seq;
            self.next_seq += 1;
            let n = &mut self.nodes[k as usize];
            n.real = true;
            n.seq = Some(seq);
        }
        self.dirty.insert(k);

        let mut chain: Vec<u32> = Vec::with_capacity(m.references.len() + 1);
        for r in m.references.iter().map(String::as_str).chain(m.in_reply_to) {
            if r == m.key {
                continue;
            }
            let i = self.intern(r);
            if !chain.contains(&i) {
                chain.push(i);
            }
        }
        // Ancestry among ghosts, oldest first.
        for w in chain.windows(2) {
            let (a, b) = (w[0], w[1]);
            let nb = &self.nodes[b as usize];
            if !nb.real && nb.parent == NONE && !self.would_loop(b, a) {
                self.set_parent(b, a);
            }
        }
        let wanted = m
            .in_reply_to
            .filter(|r| *r != m.key)
            .or_else(|| {
                m.references
                    .iter()
                    .rev()
                    .map(String::as_str)
                    .find(|r| *r != m.key)
            })
            .map(|r| self.index[r]);

        let mut via_subject = false;
        let parent = match wanted {
            Some(p) => Some(p),
            None if m.is_reply_subject && !m.subject_key.is_empty() => {
                match (self.subjects.get(m.subject_key), m.date) {
                    (Some(&(other, odate)), Some(d))
                        if other != k && (d - odate).abs() <= SUBJECT_WINDOW =>
                    {
                        via_subject = true;
                        Some(self.root_of(other))
                    }
                    _ => None,
                }
            }
            None => None,
        };
        match parent {
            Some(p) if p != k && !self.would_loop(k, p) => self.set_parent(k, p),
            // A loop: the message stays a root, in the same thread.
            _ => self.set_parent(k, NONE),
        }
        if self.nodes[k as usize].via_subject != via_subject {
            self.nodes[k as usize].via_subject = via_subject;
        }
        let mut members = chain;
        members.push(k);
        if let Some(p) = parent {
            members.push(p);
        }
        self.unite(&members);
        if let Some(d) = m.date {
            self.note_subject(m.subject_key, k, d);
        }
        let p = self.nodes[k as usize].parent;
        (p != NONE).then(|| self.keys[p as usize].to_string())
    }

    /// The current thread number of a key.
    pub fn thread_of(&self, key: &str) -> Option<i64> {
        self.index
            .get(key)
            .map(|&i| self.find(self.nodes[i as usize].thread))
    }

    pub fn take_changes(&mut self) -> Changes {
        let mut dirty: Vec<u32> = self.dirty.drain().collect();
        dirty.sort_unstable();
        let nodes = dirty
            .into_iter()
            .map(|i| {
                let n = &self.nodes[i as usize];
                NodeRow {
                    key: self.keys[i as usize].to_string(),
                    parent: (n.parent != NONE).then(|| self.keys[n.parent as usize].to_string()),
                    thread: self.find(n.thread),
                    real: n.real,
                    via_subject: n.via_subject,
                    seq: n.seq,
                }
            })
            .collect();
        let mut threads: Vec<i64> = self.dirty_threads.drain().collect();
        threads.sort_unstable();
        Changes {
            nodes,
            merges: std::mem::take(&mut self.merges),
            threads,
            next_thread: self.next_thread,
        }
    }
}

/// A thread as a forest for display: ghosts with one child are elided (the child takes
/// their place), childless ghosts vanish, ghosts with several children stay as "not in
/// the archive" placeholders. Several roots in one thread are shown side by side, as
/// notmuch does, rather than guessing which one they answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeNode {
    pub key: String,
    pub real: bool,
    pub children: Vec<TreeNode>,
}

/// Builds the display forest of one thread from its stored nodes; siblings keep the order
/// of `rows` (the store sorts them by date, so they read chronologically).
pub fn build_tree(rows: &[NodeRow]) -> Vec<TreeNode> {
    let keys: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.key.as_str(), i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
    let mut roots = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match r.parent.as_deref().and_then(|p| keys.get(p)) {
            Some(&p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    /// A subtree and its place among siblings: a real message sits where its row is, a
    /// ghost where its earliest descendant is.
    fn build(
        i: usize,
        rows: &[NodeRow],
        children: &[Vec<usize>],
        depth: usize,
    ) -> Option<(usize, TreeNode)> {
        if depth > 10_000 {
            return None;
        }
        let mut kids: Vec<(usize, TreeNode)> = children[i]
            .iter()
            .filter_map(|&c| build(c, rows, children, depth + 1))
            .collect();
        kids.sort_by_key(|(k, _)| *k);
        if !rows[i].real {
            match kids.len() {
                0 => return None,
                1 => return kids.pop(),
                _ => {}
            }
        }
        let key = if rows[i].real { i } else { kids[0].0 };
        let children = kids.into_iter().map(|(_, t)| t).collect();
        Some((
            key,
            TreeNode {
                key: rows[i].key.clone(),
                real: rows[i].real,
                children,
            },
        ))
    }
    let mut forest: Vec<(usize, TreeNode)> = roots
        .into_iter()
        .filter_map(|r| build(r, rows, &children, 0))
        .collect();
    forest.sort_by_key(|(k, _)| *k);
    forest.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(t: &mut Threader, key: &str, irt: Option<&str>, refs: &[&str]) -> Option<String> {
        let refs: Vec<String> = refs.iter().map(|s| s.to_string()).collect();
        t.add(&Incoming {
            key,
            in_reply_to: irt,
            references: &refs,
            is_reply_subject: false,
            subject_key: "",
            date: None,
        })
    }

    #[test]
    fn reply_before_parent_is_reparented() {
        let mut t = Threader::new(1);
        assert_eq!(add(&mut t, "c", Some("b"), &["a", "b"]), Some("b".into()));
        assert_eq!(add(&mut t, "b", Some("a"), &["a"]), Some("a".into()));
        assert_eq!(add(&mut t, "a", None, &[]), None);
        assert_eq!(t.thread_of("a"), t.thread_of("c"));
    }

    #[test]
    fn loops_are_refused() {
        let mut t = Threader::new(1);
        add(&mut t, "x", Some("y"), &["y"]);
        assert_eq!(add(&mut t, "y", Some("x"), &["x"]), None);
        assert_eq!(t.thread_of("x"), t.thread_of("y"));
    }

    #[test]
    fn subject_fallback_only_for_headerless_re() {
        let mut t = Threader::new(1);
        let none: Vec<String> = vec![];
        let mk = |key, reply, date| Incoming {
            key,
            in_reply_to: None,
            references: &none,
            is_reply_subject: reply,
            subject_key: "topic",
            date: Some(date),
        };
        t.add(&mk("a", false, 1000));
        assert_eq!(t.add(&mk("b", true, 2000)), Some("a".into()));
        assert_eq!(t.add(&mk("c", true, 2000 + 40 * 86400)), None);
    }
}

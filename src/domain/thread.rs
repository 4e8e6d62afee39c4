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
    pub next_seq: i64,
}

impl Threader {
    pub fn new(next_thread: i64) -> Self {
        Self {
            next_thread: next_thread.max(1),
            ..Default::default()
        }
    }

    /// The next thread number and arrival number it will hand out: what the store holds
    /// for the list after this threader's last write, unless another writer wrote since.
    pub fn counters(&self) -> (i64, i64) {
        (self.next_thread, self.next_seq)
    }

    /// A threader that will be given only the nodes each message touches
    /// ([`Threader::load_touched`]), for live delivery: the counters come from the list.
    pub fn partial(next_thread: i64, next_seq: i64) -> Self {
        Self {
            next_thread: next_thread.max(1),
            next_seq: next_seq.max(0),
            ..Default::default()
        }
    }

    /// Whether the threader holds a node under this key, real or ghost, loaded or new.
    pub fn knows(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// Adds stored nodes that the next message touches (its keys, the ancestors of each,
    /// the latest message with its subject), in arrival order. Keys the threader already
    /// holds are skipped: what it holds is newer than the store (changes of the batch not
    /// yet written). Loading changes nothing to write.
    pub fn load_touched(&mut self, mut rows: Vec<(NodeRow, Option<(String, i64)>)>) {
        rows.retain(|(r, _)| !self.knows(&r.key));
        rows.sort_by(|a, b| (a.0.seq, &a.0.key).cmp(&(b.0.seq, &b.0.key)));
        let first_new = self.nodes.len() as u32;
        for (row, subject) in rows {
            let subject = subject.as_ref().map(|(k, d)| (k.as_str(), *d));
            self.load(row, subject);
        }
        // Nodes interned just now (the rows, and any parent the store lacks) came from the
        // store, or are placeholders that stay unwritten until a message touches them.
        for i in first_new..self.nodes.len() as u32 {
            self.dirty.remove(&i);
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
        let mut seen: HashSet<u32> = HashSet::with_capacity(m.references.len() + 1);
        for r in m.references.iter().map(String::as_str).chain(m.in_reply_to) {
            if r == m.key {
                continue;
            }
            let i = self.intern(r);
            if seen.insert(i) {
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
            next_seq: self.next_seq,
        }
    }
}

/// One row of a thread as it is displayed: its depth in the display forest and the index
/// of its row in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub depth: usize,
    pub row: usize,
}

/// The display order of one thread from its stored nodes, in pre-order: ghosts with one
/// child are elided (the child takes their place), childless ghosts vanish, ghosts with
/// several children stay as "not in the archive" placeholders. Several roots in one thread
/// are shown side by side, as notmuch does, rather than guessing which one they answer.
/// Siblings keep the order of `rows` (the store sorts them by date, so they read
/// chronologically); a ghost sits where its earliest descendant is.
///
/// A sender controls how deep a thread is (a `References:` header of thousands of ids, or a
/// real reply chain thousands deep), so every walk here uses an explicit stack and the
/// result is flat: nothing recurses, and the time is linear in the number of rows. Nodes
/// that a damaged store left in a parent loop are shown from the first of them, never lost.
pub fn display_order(rows: &[NodeRow]) -> Vec<Placed> {
    let n = rows.len();
    let keys: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.key.as_str(), i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut roots = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match r.parent.as_deref().and_then(|p| keys.get(p)) {
            Some(&p) if p != i => children[p].push(i),
            _ => roots.push(i),
        }
    }
    // Children before parents: a depth-first visit from every root, then from any node
    // still unvisited (a loop has no root).
    let mut visited = vec![false; n];
    let mut order: Vec<usize> = Vec::with_capacity(n);
    let mut stack: Vec<usize> = Vec::new();
    let mut tops: Vec<usize> = Vec::new();
    for start in roots.iter().copied().chain(0..n) {
        if visited[start] {
            continue;
        }
        tops.push(start);
        visited[start] = true;
        stack.push(start);
        while let Some(i) = stack.pop() {
            order.push(i);
            for &c in &children[i] {
                if !visited[c] {
                    visited[c] = true;
                    stack.push(c);
                }
            }
        }
    }
    // What stands for each subtree (itself, its only shown descendant, or nothing), where
    // it sorts among siblings, and the children it shows.
    let mut rep: Vec<Option<usize>> = vec![None; n];
    let mut pos: Vec<usize> = (0..n).collect();
    let mut shown: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut in_tree = vec![false; n];
    for &i in order.iter().rev() {
        in_tree[i] = true;
        let mut kids: Vec<usize> = children[i]
            .iter()
            .filter(|&&c| in_tree[c])
            .filter_map(|&c| rep[c])
            .collect();
        kids.sort_by_key(|&k| pos[k]);
        if rows[i].real {
            rep[i] = Some(i);
        } else {
            match kids.len() {
                0 => continue,
                1 => {
                    rep[i] = Some(kids[0]);
                    continue;
                }
                _ => {
                    rep[i] = Some(i);
                    pos[i] = pos[kids[0]];
                }
            }
        }
        shown[i] = kids;
    }
    let mut forest: Vec<usize> = tops.iter().filter_map(|&t| rep[t]).collect();
    forest.sort_by_key(|&k| pos[k]);
    let mut out = Vec::with_capacity(n);
    let mut stack: Vec<(usize, usize)> = forest.iter().rev().map(|&r| (r, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        out.push(Placed { depth, row: i });
        stack.extend(shown[i].iter().rev().map(|&c| (c, depth + 1)));
    }
    out
}

/// Keeps the placed rows that `keep` accepts; a dropped row's descendants move up to its
/// depth (so a month page shows a reply to an earlier month's message at the top level).
pub fn keep_placed(placed: &[Placed], keep: impl Fn(usize) -> bool) -> Vec<Placed> {
    // path[d]: how many rows are kept on the path from the root down to depth d.
    let mut path: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for p in placed {
        path.truncate(p.depth);
        let above = if p.depth == 0 {
            0
        } else {
            path.last().copied().unwrap_or(0)
        };
        let kept = keep(p.row);
        if kept {
            out.push(Placed {
                depth: above,
                row: p.row,
            });
        }
        // Pre-order depths grow one at a time, so the path is exactly `p.depth` long here.
        path.resize(p.depth, above);
        path.push(above + usize::from(kept));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::on_small_stack;

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

    /// A message with no reply headers, for the subject fallback.
    fn by_subject<'a>(
        key: &'a str,
        reply: bool,
        subject: &'a str,
        date: Option<i64>,
    ) -> Incoming<'a> {
        Incoming {
            key,
            in_reply_to: None,
            references: &[],
            is_reply_subject: reply,
            subject_key: subject,
            date,
        }
    }

    #[test]
    fn subject_fallback_only_for_headerless_re() {
        let mut t = Threader::new(1);
        let mk = |key, reply, date| by_subject(key, reply, "topic", Some(date));
        t.add(&mk("a", false, 1000));
        assert_eq!(t.add(&mk("b", true, 2000)), Some("a".into()));
        assert_eq!(t.add(&mk("c", true, 2000 + 40 * 86400)), None);
    }

    fn row(key: &str, parent: Option<&str>, real: bool) -> NodeRow {
        NodeRow {
            key: key.into(),
            parent: parent.map(str::to_string),
            thread: 1,
            real,
            via_subject: false,
            seq: None,
        }
    }

    fn shown(rows: &[NodeRow]) -> Vec<(usize, String)> {
        display_order(rows)
            .into_iter()
            .map(|p| (p.depth, rows[p.row].key.clone()))
            .collect()
    }

    #[test]
    fn ghosts_are_elided_or_kept_as_placeholders() {
        // g1 (ghost) has one child: elided. g2 (ghost) has two: kept. g3 has none: gone.
        let rows = vec![
            row("g1", None, false),
            row("a", Some("g1"), true),
            row("b", Some("a"), true),
            row("g2", Some("a"), false),
            row("c", Some("g2"), true),
            row("d", Some("g2"), true),
            row("g3", Some("b"), false),
        ];
        let want: Vec<(usize, String)> = [(0, "a"), (1, "b"), (1, "g2"), (2, "c"), (2, "d")]
            .iter()
            .map(|(d, k)| (*d, k.to_string()))
            .collect();
        assert_eq!(shown(&rows), want);
        // Keeping only c and d: they move up to the top level.
        let placed = display_order(&rows);
        let kept: Vec<(usize, String)> =
            keep_placed(&placed, |i| rows[i].key == "c" || rows[i].key == "d")
                .into_iter()
                .map(|p| (p.depth, rows[p.row].key.clone()))
                .collect();
        assert_eq!(kept, vec![(0, "c".to_string()), (0, "d".to_string())]);
        // Keeping a and d: d sits under a, one level down.
        let kept: Vec<usize> = keep_placed(&placed, |i| rows[i].key == "a" || rows[i].key == "d")
            .into_iter()
            .map(|p| p.depth)
            .collect();
        assert_eq!(kept, vec![0, 1]);
    }

    #[test]
    fn parent_loops_in_stored_rows_lose_nothing() {
        let rows = vec![
            row("x", Some("y"), true),
            row("y", Some("x"), true),
            row("z", None, true),
        ];
        let mut keys: Vec<String> = shown(&rows).into_iter().map(|(_, k)| k).collect();
        keys.sort();
        assert_eq!(keys, vec!["x", "y", "z"]);
    }

    /// A chain far deeper than any stack allows recursion for.
    #[test]
    fn deep_chains_need_no_stack() {
        let (len, last_depth, kept) = on_small_stack(|| {
            let n = 200_000;
            let mut rows = vec![row("k0", None, true)];
            for i in 1..n {
                let parent = format!("k{}", i - 1);
                // Every other node a ghost with one child: elided.
                rows.push(row(&format!("k{i}"), Some(&parent), i % 2 == 0));
            }
            let placed = display_order(&rows);
            let kept = keep_placed(&placed, |i| i % 4 == 0);
            drop(rows);
            (placed.len(), placed.last().map(|p| p.depth), kept.len())
        });
        assert_eq!(len, 100_000);
        assert_eq!(last_depth, Some(99_999));
        assert_eq!(kept, 50_000);
    }

    /// A message naming thousands of ancestors (more than normalizing keeps) is threaded
    /// without recursion, every ancestor a ghost.
    #[test]
    fn thousands_of_references() {
        let (parent, nodes) = on_small_stack(|| {
            let mut t = Threader::new(1);
            let refs: Vec<String> = (0..6000).map(|i| format!("r{i}@x")).collect();
            let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
            let parent = add(&mut t, "m@x", None, &refs);
            (parent, t.take_changes().nodes.len())
        });
        assert_eq!(parent.as_deref(), Some("r5999@x"));
        assert_eq!(nodes, 6001);
    }

    fn stored(
        key: &str,
        parent: Option<&str>,
        thread: i64,
        real: bool,
        seq: Option<i64>,
    ) -> NodeRow {
        NodeRow {
            key: key.into(),
            parent: parent.map(str::to_string),
            thread,
            real,
            via_subject: false,
            seq,
        }
    }

    /// Exactly what a run of additions hands the store: every node it touched with its
    /// parent, thread, reality and arrival number; the merges; the threads to recount.
    #[test]
    fn changes_are_exactly_what_changed() {
        let mut t = Threader::new(5);
        add(&mut t, "a", None, &[]);
        add(&mut t, "b", None, &[]);
        let c = t.take_changes();
        assert_eq!(
            c.nodes,
            vec![
                stored("a", None, 5, true, Some(0)),
                stored("b", None, 6, true, Some(1))
            ]
        );
        assert!(c.merges.is_empty());
        assert_eq!(c.threads, vec![5, 6]);
        assert_eq!(c.next_thread, 7);
        assert!(t.take_changes().nodes.is_empty(), "changes are taken once");

        // A reply naming both unites their threads into the lower one; b keeps the
        // parent its own headers gave it (none), and the store renumbers it by the merge.
        add(&mut t, "c", Some("b"), &["a", "b"]);
        let c = t.take_changes();
        assert_eq!(c.merges, vec![(6, 5)]);
        assert_eq!(c.threads, vec![5, 6]);
        assert_eq!(c.nodes, vec![stored("c", Some("b"), 5, true, Some(2))]);
        assert_eq!(t.thread_of("b"), Some(5));
        assert_eq!(t.thread_of("nobody"), None);
        assert!(t.contains("c") && !t.contains("nobody"));
    }

    /// A threader restored from the store goes on where the store stopped: arrival
    /// numbers and thread numbers after the highest stored, merges resolved, nothing
    /// written back that was only read.
    #[test]
    fn restored_state_continues() {
        let mut t = Threader::new(1);
        t.load(stored("a", None, 3, true, Some(7)), Some(("topic", 1_000)));
        t.load(stored("g", None, 9, false, None), None);
        t.load(stored("b", Some("g"), 9, true, Some(8)), None);
        t.mark_loaded();
        let c = t.take_changes();
        assert!(c.nodes.is_empty() && c.merges.is_empty() && c.threads.is_empty());
        assert_eq!(c.next_thread, 10);
        assert!(t.contains("a") && !t.contains("g"));

        // The ghost arrives, answering a: threads 3 and 9 become 3.
        add(&mut t, "g", Some("a"), &["a"]);
        let c = t.take_changes();
        assert_eq!(c.merges, vec![(9, 3)]);
        assert_eq!(c.nodes, vec![stored("g", Some("a"), 3, true, Some(9))]);
        assert_eq!(t.thread_of("b"), Some(3));
        // A new thread takes the next number.
        add(&mut t, "z", None, &[]);
        assert_eq!(t.thread_of("z"), Some(10));

        // The loaded subject still draws a headerless "Re:" within the window.
        let re = by_subject("r", true, "topic", Some(1_000 + SUBJECT_WINDOW));
        assert_eq!(t.add(&re), Some("a".into()));
        let c = t.take_changes();
        assert!(
            c.nodes
                .iter()
                .any(|n| n.key == "r" && n.via_subject && n.thread == 3)
        );
    }

    /// Merges chain: a thread merged into one that is later merged again resolves to the
    /// last, and ghosts take the thread without a merge.
    #[test]
    fn merges_resolve_through_chains() {
        let mut t = Threader::new(1);
        add(&mut t, "a", None, &[]); // 1
        add(&mut t, "b", None, &[]); // 2
        add(&mut t, "c", None, &[]); // 3
        t.take_changes();
        add(&mut t, "d", Some("c"), &["b", "c"]); // 3 -> 2
        add(&mut t, "e", Some("b"), &["a", "b"]); // 2 -> 1
        let c = t.take_changes();
        assert_eq!(c.merges, vec![(3, 2), (2, 1)]);
        for k in ["a", "b", "c", "d", "e"] {
            assert_eq!(t.thread_of(k), Some(1), "{k}");
        }
        assert!(c.nodes.iter().all(|n| n.thread == 1), "{:?}", c.nodes);
        // A reply to unknown messages: its ghosts join its new thread, no merge.
        add(&mut t, "x", Some("y"), &["w", "y"]);
        let c = t.take_changes();
        assert!(c.merges.is_empty());
        assert_eq!(c.threads, vec![4]);
        assert_eq!(
            c.nodes,
            vec![
                stored("x", Some("y"), 4, true, Some(5)),
                stored("w", None, 4, false, None),
                stored("y", Some("w"), 4, false, None),
            ]
        );
    }

    /// The newest message of a subject is the one a headerless "Re:" joins, within 30
    /// days either side and never itself.
    #[test]
    fn subject_fallback_picks_the_newest_within_the_window() {
        let mk = by_subject;
        let mut t = Threader::new(1);
        t.add(&mk("old", false, "topic", Some(0)));
        t.add(&mk("new", false, "topic", Some(SUBJECT_WINDOW)));
        t.add(&mk("older", false, "topic", Some(-5)));
        // Joins the thread of the newest ("new"), at its root.
        assert_eq!(
            t.add(&mk("r1", true, "topic", Some(2 * SUBJECT_WINDOW))),
            Some("new".into())
        );
        assert_eq!(
            t.add(&mk("r2", true, "topic", Some(4 * SUBJECT_WINDOW))),
            None
        );
        assert_eq!(t.add(&mk("r3", true, "other", Some(0))), None);
        assert_eq!(t.add(&mk("r4", true, "", Some(0))), None);
        assert_eq!(t.add(&mk("r5", true, "topic", None)), None);
        // r2 became the newest of "topic"; a reply near it joins it.
        assert_eq!(
            t.add(&mk("r6", true, "topic", Some(4 * SUBJECT_WINDOW - 10))),
            Some("r2".into())
        );
        assert_ne!(t.thread_of("old"), t.thread_of("new"));
    }

    /// A message naming itself, or a loop through ghosts, never makes a cycle.
    #[test]
    fn self_references_and_ghost_loops_are_ignored() {
        let mut t = Threader::new(1);
        assert_eq!(add(&mut t, "a", Some("a"), &["a"]), None);
        assert_eq!(add(&mut t, "b", None, &["b", "a"]), Some("a".into()));
        // c's references order two ghosts; d's name them the other way round.
        add(&mut t, "c", Some("g2"), &["g1", "g2"]);
        add(&mut t, "d", Some("g1"), &["g2", "g1"]);
        let c = t.take_changes();
        let parent = |k: &str| {
            c.nodes
                .iter()
                .find(|n| n.key == k)
                .and_then(|n| n.parent.clone())
        };
        assert_eq!(parent("g2"), Some("g1".into()));
        assert_eq!(parent("g1"), None);
        assert_eq!(t.thread_of("c"), t.thread_of("d"));
    }

    /// Siblings keep the stored order (by date); a ghost kept as a placeholder sits where
    /// its earliest descendant is; several roots of one thread stand side by side.
    #[test]
    fn display_keeps_stored_order() {
        let rows = vec![
            row("r2", None, true),
            row("x", Some("r1"), true),
            row("r1", None, true),
            row("g", Some("r2"), false),
            row("y", Some("g"), true),
            row("z", Some("g"), true),
            row("w", Some("r2"), true),
        ];
        let want: Vec<(usize, String)> = [
            (0, "r2"),
            (1, "g"),
            (2, "y"),
            (2, "z"),
            (1, "w"),
            (0, "r1"),
            (1, "x"),
        ]
        .iter()
        .map(|(d, k)| (*d, k.to_string()))
        .collect();
        assert_eq!(shown(&rows), want);
    }

    /// The subject window is thirty days, written out here rather than read from the
    /// constant under test; of two messages with one subject and one date, the later
    /// stored is the newest; a headerless "Re:" joins the root of the newest's thread.
    #[test]
    fn subject_window_ties_and_roots() {
        const DAY: i64 = 86_400;
        let mk = |key, reply, date| by_subject(key, reply, "topic", Some(date));
        let mut t = Threader::new(1);
        t.add(&mk("a", false, 0));
        assert_eq!(t.add(&mk("r1", true, 30 * DAY)), Some("a".into()));
        let mut t = Threader::new(1);
        t.add(&mk("a", false, 0));
        assert_eq!(t.add(&mk("r1", true, 30 * DAY + 1)), None);

        let mut t = Threader::new(1);
        t.add(&mk("a", false, 1_000));
        t.add(&mk("b", false, 1_000));
        assert_eq!(t.add(&mk("r", true, 2_000)), Some("b".into()));

        let mut t = Threader::new(1);
        t.add(&mk("root", false, 1_000));
        let refs = vec!["root".to_string()];
        t.add(&Incoming {
            key: "reply",
            in_reply_to: Some("root"),
            references: &refs,
            is_reply_subject: true,
            subject_key: "topic",
            date: Some(2_000),
        });
        assert_eq!(t.add(&mk("late", true, 3_000)), Some("root".into()));
    }

    /// A message naming itself in In-Reply-To falls back to its References.
    #[test]
    fn own_key_in_reply_to_falls_back_to_references() {
        let mut t = Threader::new(1);
        assert_eq!(add(&mut t, "b", Some("b"), &["x"]), Some("x".into()));
    }

    /// Parents restored from a damaged store may form a loop; threading a reply into it
    /// ends (the reply stays a root in the same thread) instead of walking forever.
    #[test]
    fn a_stored_parent_loop_does_not_hang_threading() {
        let (parent, same) = on_small_stack(|| {
            let mut t = Threader::new(1);
            t.load(stored("x", Some("y"), 1, true, Some(0)), None);
            t.load(stored("y", Some("x"), 1, true, Some(1)), None);
            t.mark_loaded();
            let p = add(&mut t, "z", Some("x"), &["x"]);
            (p, t.thread_of("z") == t.thread_of("x"))
        });
        assert_eq!(parent, None);
        assert!(same);
    }
}

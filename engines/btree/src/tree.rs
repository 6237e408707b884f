//! The B+tree algorithms over the pager: lookup, insert with splits, delete
//! with merge or redistribution, overflow chains, and the scan cursor.
//!
//! Changes walk down from the root by recursion and fix the tree on the way
//! back up: a parent looks at the child it just changed and splits it when it
//! outgrew the page, or rebalances it with a sibling when it fell under a
//! quarter page. The root is fixed last (a new root above a split root, or
//! an internal root left with one child is dropped), so the tree stays
//! balanced and every page but the root holds at least one entry.
//!
//! Sizes make this safe. Leaf entries (key and inline value) are at most a
//! third of a page's body `B`, so a leaf that outgrew its page by one entry
//! holds at most `4B/3`, and cutting it where the left side first reaches
//! half leaves at most `2B/3 + B/3 = B` on the left and `2B/3` on the right:
//! both fit. Two siblings of which one is underfull hold under `5B/4`, so
//! they either fit one page (merge) or split the same way. Internal entries
//! (separator keys) are at most a quarter of the body, so an internal page
//! that splits keeps at least one key on each side. A third rather than a
//! quarter keeps YCSB's 1 000-byte values inline in 4 KiB pages (three to a
//! leaf) instead of costing a whole overflow page each.

use engine_core::{Error, Purpose, Result};

use crate::page::{corrupt, leaf_entry_size, Internal, Leaf, Node, Val, PAGE_HEADER};
use crate::pager::Pager;

/// Structural counters.
#[derive(Debug, Default, Clone, Copy)]
pub struct TreeStats {
    /// Pages (leaf or internal) split in two after outgrowing their page.
    pub splits: u64,
    /// Underfull pages merged with a sibling into one page.
    pub merges: u64,
    /// Underfull pages that took entries from a sibling instead, because
    /// the two did not fit one page.
    pub redistributions: u64,
}

/// A B+tree in a pager.
pub struct Tree {
    /// The pages, the header (root and height) and the free list.
    pub pager: Pager,
    /// Splits, merges and redistributions since the tree was opened
    /// (log replay at open included).
    pub stats: TreeStats,
}

/// The largest key the tree takes, for a page size.
pub fn max_key(page_size: usize) -> usize {
    (page_size - PAGE_HEADER) / 4 - 16
}

/// Leaf entries larger than this keep their value in overflow pages.
fn max_inline_entry(page_size: usize) -> usize {
    (page_size - PAGE_HEADER) / 3
}

fn overflow_chunk(page_size: usize) -> usize {
    page_size - PAGE_HEADER - 4
}

impl Tree {
    /// A tree over `pager` (whose header names the root and height).
    pub fn new(pager: Pager) -> Tree {
        Tree {
            pager,
            stats: TreeStats::default(),
        }
    }

    fn usable(&self) -> usize {
        self.pager.page_size()
    }

    fn min_fill(&self) -> usize {
        PAGE_HEADER + (self.pager.page_size() - PAGE_HEADER) / 4
    }

    fn bad(&self, id: u64, what: &str) -> Error {
        corrupt(
            self.pager.path(),
            id,
            self.pager.page_size(),
            what.to_string(),
        )
    }

    /// How many levels from the root down are wholly in the cache: a point
    /// lookup then reads at most `height - cached_levels()` pages. Walks
    /// only cached pages, and stops at the first level with a page missing.
    pub fn cached_levels(&self) -> u32 {
        let mut level = vec![self.pager.meta.root];
        for depth in 0..self.pager.meta.height {
            let mut below = Vec::new();
            for id in &level {
                match self.pager.peek(*id).as_deref() {
                    Some(Node::Internal(n)) => below.extend_from_slice(&n.children),
                    Some(_) => {}
                    None => return depth,
                }
            }
            if below.is_empty() {
                // Leaves above the recorded height: what the height says
                // is checked at open, and no further loop is owed to it.
                return depth + 1;
            }
            level = below;
        }
        self.pager.meta.height
    }

    /// The value of `key`. A shared borrow: readers run in parallel.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        enum Step {
            Down(u64),
            Found(Option<Val>),
            NotANode,
        }
        let mut id = self.pager.meta.root;
        for _ in 0..self.pager.meta.height {
            let step = self
                .pager
                .with_node(id, Purpose::Query, |node| match node {
                    Node::Internal(n) => Step::Down(n.children[n.child_index(key)]),
                    Node::Leaf(l) => Step::Found(
                        l.keys
                            .binary_search_by(|k| k.as_slice().cmp(key))
                            .ok()
                            .map(|i| l.vals[i].clone()),
                    ),
                    _ => Step::NotANode,
                })?;
            match step {
                Step::Down(child) => id = child,
                Step::Found(None) => return Ok(None),
                Step::Found(Some(val)) => return self.read_value(val).map(Some),
                Step::NotANode => {
                    return Err(self.bad(id, "tree links to a page that is not a node"))
                }
            }
        }
        Err(self.bad(id, "tree deeper than its recorded height"))
    }

    /// The bytes of a stored value, following an overflow chain.
    pub fn read_value(&self, val: Val) -> Result<Vec<u8>> {
        let (len, mut id) = match val {
            Val::Inline(v) => return Ok(v),
            Val::Overflow { len, first } => (len as usize, first),
        };
        let chunk = overflow_chunk(self.pager.page_size());
        // No more than the file holds, whatever the leaf claims.
        let in_file = usize::try_from(self.pager.meta.page_count)
            .map_or(usize::MAX, |n| chunk.saturating_mul(n));
        let mut out = Vec::with_capacity(len.min(in_file));
        // A chain of full pages, as `make_val` writes it: one of empty or
        // short pages (which could loop for ever) is damage.
        for _ in 0..len.div_ceil(chunk) {
            match &*self.pager.load(id, Purpose::Query)? {
                Node::Overflow { next, data } if out.len() + data.len() <= len => {
                    out.extend_from_slice(data);
                    id = *next;
                }
                _ => return Err(self.bad(id, "overflow chain broken or longer than its value")),
            }
        }
        if out.len() != len {
            return Err(self.bad(id, "overflow chain shorter than its value"));
        }
        Ok(out)
    }

    /// Store `value` as a leaf keeps it: inline when small, else written to
    /// a fresh overflow chain.
    fn make_val(&mut self, key: &[u8], value: &[u8]) -> Result<Val> {
        let ps = self.pager.page_size();
        if leaf_entry_size(key, &Val::Inline(Vec::new())) + value.len() <= max_inline_entry(ps) {
            return Ok(Val::Inline(value.to_vec()));
        }
        let chunk = overflow_chunk(ps);
        let mut next = 0;
        // Written back to front so each page knows its successor.
        let pieces: Vec<&[u8]> = value.chunks(chunk).collect();
        for piece in pieces.iter().rev() {
            let id = self.pager.alloc()?;
            self.pager.set(
                id,
                Node::Overflow {
                    next,
                    data: piece.to_vec(),
                },
            );
            next = id;
        }
        Ok(Val::Overflow {
            len: value.len() as u32,
            first: next,
        })
    }

    /// Give an overwritten or deleted value's overflow pages back.
    fn free_val(&mut self, val: Val) -> Result<()> {
        let Val::Overflow { len, first } = val else {
            return Ok(());
        };
        let chunk = overflow_chunk(self.pager.page_size());
        let mut id = first;
        for _ in 0..(len as usize).div_ceil(chunk) {
            let next = match self.pager.node(id, Purpose::WritePath)? {
                Node::Overflow { next, .. } => *next,
                _ => return Err(self.bad(id, "overflow chain links to a page of another kind")),
            };
            self.pager.free(id);
            id = next;
        }
        Ok(())
    }

    /// Insert or overwrite.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let val = self.make_val(key, value)?;
        let root = self.pager.meta.root;
        let old = self.insert_rec(root, key, val, self.pager.meta.height)?;
        self.fix_root()?;
        if let Some(old) = old {
            self.free_val(old)?;
        }
        Ok(())
    }

    /// Remove; true when the key was there.
    pub fn delete(&mut self, key: &[u8]) -> Result<bool> {
        let root = self.pager.meta.root;
        let old = self.delete_rec(root, key, self.pager.meta.height)?;
        self.fix_root()?;
        match old {
            Some(old) => {
                self.free_val(old)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn insert_rec(&mut self, id: u64, key: &[u8], val: Val, level: u32) -> Result<Option<Val>> {
        if level == 0 {
            return Err(self.bad(id, "tree deeper than its recorded height"));
        }
        let child = match self.pager.node(id, Purpose::WritePath)? {
            Node::Internal(n) => Some((n.child_index(key), n.children[n.child_index(key)])),
            Node::Leaf(_) => None,
            _ => return Err(self.bad(id, "tree links to a page that is not a node")),
        };
        match child {
            Some((idx, child)) => {
                let old = self.insert_rec(child, key, val, level - 1)?;
                self.fix_child(id, idx, child)?;
                Ok(old)
            }
            None => {
                let Node::Leaf(l) = self.pager.node_mut(id)? else {
                    unreachable!("checked to be a leaf just above")
                };
                match l.keys.binary_search_by(|k| k.as_slice().cmp(key)) {
                    Ok(i) => Ok(Some(std::mem::replace(&mut l.vals[i], val))),
                    Err(i) => {
                        l.keys.insert(i, key.to_vec());
                        l.vals.insert(i, val);
                        Ok(None)
                    }
                }
            }
        }
    }

    fn delete_rec(&mut self, id: u64, key: &[u8], level: u32) -> Result<Option<Val>> {
        if level == 0 {
            return Err(self.bad(id, "tree deeper than its recorded height"));
        }
        let child = match self.pager.node(id, Purpose::WritePath)? {
            Node::Internal(n) => Some((n.child_index(key), n.children[n.child_index(key)])),
            Node::Leaf(l) => {
                if l.keys.binary_search_by(|k| k.as_slice().cmp(key)).is_err() {
                    return Ok(None);
                }
                None
            }
            _ => return Err(self.bad(id, "tree links to a page that is not a node")),
        };
        match child {
            Some((idx, child)) => {
                let old = self.delete_rec(child, key, level - 1)?;
                if old.is_some() {
                    self.fix_child(id, idx, child)?;
                }
                Ok(old)
            }
            None => {
                let Node::Leaf(l) = self.pager.node_mut(id)? else {
                    unreachable!("checked to be a leaf just above")
                };
                let i = l
                    .keys
                    .binary_search_by(|k| k.as_slice().cmp(key))
                    .expect("found just above");
                l.keys.remove(i);
                Ok(Some(l.vals.remove(i)))
            }
        }
    }

    /// After child `idx` (page `child`) of `parent` changed: split it if it
    /// outgrew its page, rebalance it if it fell under a quarter.
    fn fix_child(&mut self, parent: u64, idx: usize, child: u64) -> Result<()> {
        let size = self.pager.node(child, Purpose::WritePath)?.size();
        if size > self.usable() {
            let (sep, right) = self.split(child)?;
            let Node::Internal(p) = self.pager.node_mut(parent)? else {
                return Err(self.bad(parent, "parent is not an internal page"));
            };
            p.keys.insert(idx, sep);
            p.children.insert(idx + 1, right);
        } else if size < self.min_fill() {
            self.rebalance(parent, idx)?;
        }
        Ok(())
    }

    /// Move the upper half of `id` (by bytes) to a new page; returns the
    /// separator and the new page.
    fn split(&mut self, id: u64) -> Result<(Vec<u8>, u64)> {
        let right_id = self.pager.alloc()?;
        let (sep, right) = match self.pager.node_mut(id)? {
            Node::Leaf(l) => {
                let (sep, right) = split_leaf(l, right_id);
                (sep, Node::Leaf(right))
            }
            Node::Internal(n) => {
                let (sep, right) = split_internal(n);
                (sep, Node::Internal(right))
            }
            _ => return Err(self.bad(id, "split of a page that is not a node")),
        };
        self.pager.set(right_id, right);
        self.stats.splits += 1;
        Ok((sep, right_id))
    }

    /// Child `idx` of `parent` is underfull: merge it with a sibling when
    /// both fit one page, else share their entries evenly.
    fn rebalance(&mut self, parent: u64, idx: usize) -> Result<()> {
        let Node::Internal(p) = self.pager.node(parent, Purpose::WritePath)? else {
            return Err(self.bad(parent, "parent is not an internal page"));
        };
        let li = if idx + 1 < p.children.len() {
            idx
        } else {
            idx - 1
        };
        let (left_id, right_id) = (p.children[li], p.children[li + 1]);
        let sep = p.keys[li].clone();
        let left = self.pager.node(left_id, Purpose::WritePath)?.clone();
        let right = self.pager.node(right_id, Purpose::WritePath)?.clone();
        let merged = match (left, right) {
            (Node::Leaf(mut l), Node::Leaf(r)) => {
                l.keys.extend(r.keys);
                l.vals.extend(r.vals);
                l.next = r.next;
                l
            }
            (Node::Internal(mut l), Node::Internal(r)) => {
                l.keys.push(sep);
                l.keys.extend(r.keys);
                l.children.extend(r.children);
                return self.place_internal(parent, li, left_id, right_id, l);
            }
            _ => return Err(self.bad(parent, "siblings of different kinds")),
        };
        if merged.size() <= self.usable() {
            self.pager.set(left_id, Node::Leaf(merged));
            self.drop_right(parent, li, right_id)?;
            self.stats.merges += 1;
            return Ok(());
        }
        let mut l = merged;
        let (sep, r) = split_leaf(&mut l, right_id);
        self.pager.set(left_id, Node::Leaf(l));
        self.pager.set(right_id, Node::Leaf(r));
        self.set_separator(parent, li, sep)?;
        self.stats.redistributions += 1;
        Ok(())
    }

    fn place_internal(
        &mut self,
        parent: u64,
        li: usize,
        left_id: u64,
        right_id: u64,
        mut all: Internal,
    ) -> Result<()> {
        if all.size() <= self.usable() {
            self.pager.set(left_id, Node::Internal(all));
            self.drop_right(parent, li, right_id)?;
            self.stats.merges += 1;
            return Ok(());
        }
        let (sep, right) = split_internal(&mut all);
        self.pager.set(left_id, Node::Internal(all));
        self.pager.set(right_id, Node::Internal(right));
        self.set_separator(parent, li, sep)?;
        self.stats.redistributions += 1;
        Ok(())
    }

    fn drop_right(&mut self, parent: u64, li: usize, right_id: u64) -> Result<()> {
        let Node::Internal(p) = self.pager.node_mut(parent)? else {
            return Err(self.bad(parent, "parent is not an internal page"));
        };
        p.keys.remove(li);
        p.children.remove(li + 1);
        self.pager.free(right_id);
        Ok(())
    }

    fn set_separator(&mut self, parent: u64, li: usize, sep: Vec<u8>) -> Result<()> {
        let Node::Internal(p) = self.pager.node_mut(parent)? else {
            return Err(self.bad(parent, "parent is not an internal page"));
        };
        p.keys[li] = sep;
        Ok(())
    }

    /// Grow a new root above a root that outgrew its page; drop an internal
    /// root left with a single child.
    fn fix_root(&mut self) -> Result<()> {
        let root = self.pager.meta.root;
        let (size, only_child) = match self.pager.node(root, Purpose::WritePath)? {
            Node::Internal(n) if n.keys.is_empty() => (0, Some(n.children[0])),
            n => (n.size(), None),
        };
        if let Some(child) = only_child {
            self.pager.free(root);
            self.pager.meta.root = child;
            self.pager.meta.height -= 1;
            return Ok(());
        }
        if size > self.usable() {
            let (sep, right) = self.split(root)?;
            let new_root = self.pager.alloc()?;
            self.pager.set(
                new_root,
                Node::Internal(Internal {
                    keys: vec![sep],
                    children: vec![root, right],
                }),
            );
            self.pager.meta.root = new_root;
            self.pager.meta.height += 1;
        }
        Ok(())
    }

    /// Up to `limit` pairs with key >= `start`: down to the first leaf, then
    /// along the next-leaf links.
    pub fn scan(&self, start: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let mut id = self.pager.meta.root;
        for _ in 1..self.pager.meta.height {
            match &*self.pager.load(id, Purpose::Query)? {
                Node::Internal(n) => id = n.children[n.child_index(start)],
                _ => return Err(self.bad(id, "tree shallower than its recorded height")),
            }
        }
        // A chain longer than the file has pages is a cycle.
        for _ in 0..self.pager.meta.page_count {
            let (pairs, next) = match &*self.pager.load(id, Purpose::Query)? {
                Node::Leaf(l) => {
                    let from = l.keys.partition_point(|k| k.as_slice() < start);
                    let take = (limit - out.len()).min(l.keys.len() - from);
                    let pairs: Vec<(Vec<u8>, Val)> = l.keys[from..from + take]
                        .iter()
                        .cloned()
                        .zip(l.vals[from..from + take].iter().cloned())
                        .collect();
                    (pairs, l.next)
                }
                _ => return Err(self.bad(id, "leaf chain links to a page that is not a leaf")),
            };
            for (k, v) in pairs {
                let v = self.read_value(v)?;
                out.push((k, v));
            }
            if out.len() >= limit || next == 0 {
                return Ok(out);
            }
            id = next;
        }
        Err(self.bad(id, "leaf chain loops"))
    }
}

/// Move the upper half of leaf `l` (by bytes) into a new leaf that will
/// live in page `right_id`; returns the separator (its first key) and it.
fn split_leaf(l: &mut Leaf, right_id: u64) -> (Vec<u8>, Leaf) {
    let sizes = l
        .keys
        .iter()
        .zip(&l.vals)
        .map(|(k, v)| leaf_entry_size(k, v));
    let m = split_point(sizes);
    let right = Leaf {
        keys: l.keys.split_off(m),
        vals: l.vals.split_off(m),
        next: l.next,
    };
    l.next = right_id;
    (right.keys[0].clone(), right)
}

/// Move the upper half of internal page `n` (by bytes) into a new one: key
/// `m` moves up as the separator, the keys above it and their children move
/// right. Both sides keep a key, as an overfull internal page has at least
/// four.
fn split_internal(n: &mut Internal) -> (Vec<u8>, Internal) {
    let m = split_point(n.keys.iter().map(|k| 10 + k.len())).min(n.keys.len() - 2);
    let mut keys = n.keys.split_off(m);
    let sep = keys.remove(0);
    let children = n.children.split_off(m + 1);
    (sep, Internal { keys, children })
}

/// Index at which to cut entries of the given sizes so both sides carry
/// about half the bytes; never empty on either side (needs >= 2 entries).
fn split_point(sizes: impl Iterator<Item = usize> + Clone) -> usize {
    let total: usize = sizes.clone().sum();
    let n = sizes.clone().count();
    let mut acc = 0;
    for (i, s) in sizes.enumerate() {
        acc += s;
        if acc * 2 >= total {
            return (i + 1).clamp(1, n.saturating_sub(1).max(1));
        }
    }
    n / 2
}

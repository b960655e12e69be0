//! The completion heap: requests in service, earliest completion first,
//! ties broken by start sequence (unique, so every correct heap pops the
//! same order). A binary min-heap on one 128-bit key (time, sequence): the
//! comparison is one wide compare instead of `Reverse<Completion>`'s
//! two-field ordering, and the fast loop's most frequent operation —
//! putting a new request in the top's place — is one sift down
//! (`replace_top`).

use super::Completion;

#[inline(always)]
fn key(c: &Completion) -> u128 {
    (u128::from(c.t_us) << 64) | u128::from(c.seq)
}

#[derive(Debug, Default)]
pub(super) struct CompletionHeap {
    /// The heap (empty while `tree` holds the completions).
    v: Vec<Completion>,
    /// In a plain run of arrivals (`enter_tree` … `leave_tree`): the same
    /// completions in a tournament tree.
    tree: Option<Box<Tree>>,
    /// A spare tree, kept to reuse its buffers.
    spare: Option<Box<Tree>>,
}

/// A tournament (winner) tree over a power-of-two number of leaves, the
/// completions in the leaves and empty leaves holding the largest key.
/// Node `n` (1 ≤ n < p) holds the leaf of the smallest key below it
/// (leaves are nodes p..2p). Replacing the top walks the path from its
/// leaf to the root, comparing with each sibling's winner: log₂ p steps
/// whatever the keys, where a heap's sift stops at a level the new key
/// decides — a branch the predictor misses about once a request.
#[derive(Debug, Default)]
struct Tree {
    leaves: Vec<Completion>,
    win: Vec<u32>,
    /// The winner's leaf (`win[1]`, or 0 with one leaf).
    top: u32,
}

const EMPTY: Completion = Completion {
    t_us: u64::MAX,
    seq: u64::MAX,
    replica: u32::MAX,
    arrival_us: u64::MAX,
};

impl CompletionHeap {
    pub(super) fn with_capacity(n: usize) -> Self {
        CompletionHeap {
            v: Vec::with_capacity(n),
            tree: None,
            spare: None,
        }
    }

    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        match &self.tree {
            Some(t) => t.leaves.iter().filter(|c| key(c) != u128::MAX).count(),
            None => self.v.len(),
        }
    }

    /// The earliest completion.
    #[inline(always)]
    pub(super) fn peek(&self) -> Option<&Completion> {
        match &self.tree {
            // SAFETY: `top` is a leaf index below `leaves.len()` (see
            // `Tree::replace_top`).
            Some(t) => Some(unsafe { t.leaves.get_unchecked(t.top as usize) }),
            None => self.v.first(),
        }
    }

    /// Moves the completions (at least one) into a tournament tree, where
    /// only [`peek`](Self::peek) and [`replace_top`](Self::replace_top)
    /// may be used until [`leave_tree`](Self::leave_tree).
    pub(super) fn enter_tree(&mut self) {
        debug_assert!(self.tree.is_none() && !self.v.is_empty());
        let mut t = self.spare.take().unwrap_or_default();
        let p = self.v.len().next_power_of_two();
        t.leaves.clear();
        t.leaves.extend_from_slice(&self.v);
        t.leaves.resize(p, EMPTY);
        t.win.clear();
        t.win.resize(p, 0);
        let winner = |t: &Tree, node: usize| -> usize {
            if node >= p {
                node - p
            } else {
                t.win[node] as usize
            }
        };
        for node in (1..p).rev() {
            let (a, b) = (winner(&t, 2 * node), winner(&t, 2 * node + 1));
            t.win[node] = if key(&t.leaves[b]) < key(&t.leaves[a]) {
                b as u32
            } else {
                a as u32
            };
        }
        t.top = if p > 1 { t.win[1] } else { 0 };
        self.v.clear();
        self.tree = Some(t);
    }

    /// Moves the completions back into the heap. Its layout differs from
    /// before, but keys are unique: every operation depends only on them.
    pub(super) fn leave_tree(&mut self) {
        let Some(t) = self.tree.take() else { return };
        self.v
            .extend(t.leaves.iter().filter(|c| key(c) != u128::MAX).copied());
        for i in (0..self.v.len() / 2).rev() {
            self.sift_down(i);
        }
        self.spare = Some(t);
    }

    pub(super) fn push(&mut self, c: Completion) {
        debug_assert!(self.tree.is_none());
        let k = key(&c);
        let mut i = self.v.len();
        self.v.push(c);
        while i > 0 {
            let parent = (i - 1) / 2;
            if key(&self.v[parent]) <= k {
                break;
            }
            self.v[i] = self.v[parent];
            i = parent;
        }
        self.v[i] = c;
    }

    /// Removes and returns the earliest completion.
    pub(super) fn pop(&mut self) -> Option<Completion> {
        debug_assert!(self.tree.is_none());
        let last = self.v.pop()?;
        if self.v.is_empty() {
            return Some(last);
        }
        let top = self.v[0];
        self.v[0] = last;
        self.sift_down(0);
        Some(top)
    }

    /// Replaces the earliest completion with `c` (the heap is not empty).
    #[inline(always)]
    pub(super) fn replace_top(&mut self, c: Completion) {
        if let Some(t) = &mut self.tree {
            t.replace_top(c);
            return;
        }
        self.v[0] = c;
        self.sift_down(0);
    }

    /// Keeps the completions for which `f` is true.
    pub(super) fn retain(&mut self, f: impl FnMut(&Completion) -> bool) {
        debug_assert!(self.tree.is_none());
        self.v.retain(f);
        for i in (0..self.v.len() / 2).rev() {
            self.sift_down(i);
        }
    }

    #[inline(always)]
    fn sift_down(&mut self, mut i: usize) {
        let v = self.v.as_mut_slice();
        let n = v.len();
        let x = v[i];
        let kx = key(&x);
        loop {
            let l = 2 * i + 1;
            if l >= n {
                break;
            }
            // The smaller child, chosen without a branch (which child wins
            // is a coin toss the branch predictor would miss half the time).
            let mut c = l;
            // SAFETY: l < n above; l + 1 < n where read; c is l or l + 1
            // with l + 1 < n; i is 0..n at the start (`v[i]` above) and a
            // c afterwards. Every index is in bounds.
            unsafe {
                if l + 1 < n {
                    c += usize::from(key(v.get_unchecked(l + 1)) < key(v.get_unchecked(l)));
                }
                let kc = key(v.get_unchecked(c));
                if kx <= kc {
                    break;
                }
                *v.get_unchecked_mut(i) = *v.get_unchecked(c);
            }
            i = c;
        }
        // SAFETY: i is the start (in bounds) or a c (in bounds).
        unsafe { *v.get_unchecked_mut(i) = x };
    }
}

impl Tree {
    /// Puts `c` in the winner's leaf and replays the matches on its path.
    #[inline(always)]
    fn replace_top(&mut self, c: Completion) {
        let p = self.leaves.len();
        let leaf = self.top as usize;
        debug_assert!(p.is_power_of_two() && self.win.len() == p && leaf < p);
        // SAFETY: p is a power of two with `win.len() == p`; `top` and
        // every `win` entry are leaf indices below p (set only from them,
        // `enter_tree`); `leaf ^ 1` is below p when p > 1 (p even); `node`
        // runs over p/2 … 1 and `node ^ 1` over 2 … p − 1 (node ≥ 2 there).
        unsafe {
            *self.leaves.get_unchecked_mut(leaf) = c;
            if p == 1 {
                return;
            }
            // The running winner and its key's halves (time, sequence):
            // u64 selects stay conditional moves, a u128 one became a
            // branch.
            let (mut w, mut wt, mut ws) = (leaf, c.t_us, c.seq);
            // The sibling leaf, then each sibling subtree's winner.
            let mut sib = leaf ^ 1;
            let mut node = (leaf + p) >> 1;
            loop {
                let s = self.leaves.get_unchecked(sib);
                // Selects, not branches: which side wins is a coin toss
                // (`select_unpredictable` keeps the compiler from turning
                // them into branches, which it did once, halving the
                // speed).
                let lt = (s.t_us, s.seq) < (wt, ws);
                w = std::hint::select_unpredictable(lt, sib, w);
                wt = std::hint::select_unpredictable(lt, s.t_us, wt);
                ws = std::hint::select_unpredictable(lt, s.seq, ws);
                *self.win.get_unchecked_mut(node) = w as u32;
                if node == 1 {
                    break;
                }
                sib = *self.win.get_unchecked(node ^ 1) as usize;
                debug_assert!(sib < p);
                node >>= 1;
            }
            self.top = w as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// Pops in (time, sequence) order, against a sorted copy, through
    /// pushes, pops, top replacements and a retain.
    #[test]
    fn pops_in_time_then_sequence_order() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        let mut h = CompletionHeap::with_capacity(4);
        let mut model: Vec<(u64, u64)> = Vec::new();
        let mut seq = 0;
        let mut c = |t_us: u64| {
            seq += 1;
            Completion {
                t_us,
                seq,
                replica: (seq % 5) as u32,
                arrival_us: 0,
            }
        };
        for round in 0..2_000 {
            // Few distinct times: many ties, broken by sequence.
            let t = rng.random_range(0..50u64);
            match round % 4 {
                0 | 1 => {
                    let x = c(t);
                    h.push(x);
                    model.push((x.t_us, x.seq));
                }
                2 if h.len() > 0 => {
                    let x = c(t);
                    model.sort_unstable();
                    model.remove(0);
                    model.push((x.t_us, x.seq));
                    h.replace_top(x);
                }
                _ => {
                    model.sort_unstable();
                    let want = (!model.is_empty()).then(|| model.remove(0));
                    assert_eq!(h.pop().map(|x| (x.t_us, x.seq)), want);
                }
            }
            if round == 1_000 {
                h.retain(|x| x.replica != 2);
                model.retain(|&(_, s)| s % 5 != 2);
            }
            model.sort_unstable();
            assert_eq!(h.peek().map(|x| (x.t_us, x.seq)), model.first().copied());
        }
        while let Some(x) = h.pop() {
            assert_eq!((x.t_us, x.seq), model.remove(0));
        }
        assert!(model.is_empty());
    }

    /// The tournament tree gives the same tops as the heap through top
    /// replacements, for every size from 1 to 40 (powers of two and not),
    /// and hands back a heap that pops in order.
    #[test]
    fn the_tree_replaces_tops_as_the_heap_does() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        let mut seq = 0;
        for n in 1..=40usize {
            let mut h = CompletionHeap::with_capacity(n);
            let mut model: Vec<(u64, u64)> = Vec::new();
            for _ in 0..n {
                seq += 1;
                let t = rng.random_range(0..30u64);
                h.push(Completion {
                    t_us: t,
                    seq,
                    replica: 0,
                    arrival_us: 0,
                });
                model.push((t, seq));
            }
            h.enter_tree();
            for round in 0..300 {
                model.sort_unstable();
                let top = h.peek().map(|x| (x.t_us, x.seq));
                assert_eq!(top, model.first().copied(), "n {n} round {round}");
                assert_eq!(h.len(), n);
                seq += 1;
                // Later than the top mostly, as a new completion is.
                let t = model[0].0 + rng.random_range(0..20u64);
                h.replace_top(Completion {
                    t_us: t,
                    seq,
                    replica: 0,
                    arrival_us: 0,
                });
                model[0] = (t, seq);
                if round == 150 {
                    h.leave_tree();
                    h.enter_tree();
                }
            }
            h.leave_tree();
            model.sort_unstable();
            for want in model {
                assert_eq!(h.pop().map(|x| (x.t_us, x.seq)), Some(want), "n {n}");
            }
            assert!(h.pop().is_none());
        }
    }
}

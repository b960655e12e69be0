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
    v: Vec<Completion>,
}

impl CompletionHeap {
    pub(super) fn with_capacity(n: usize) -> Self {
        CompletionHeap {
            v: Vec::with_capacity(n),
        }
    }

    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        self.v.len()
    }

    /// The earliest completion.
    #[inline(always)]
    pub(super) fn peek(&self) -> Option<&Completion> {
        self.v.first()
    }

    pub(super) fn push(&mut self, c: Completion) {
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
        self.v[0] = c;
        self.sift_down(0);
    }

    /// Keeps the completions for which `f` is true.
    pub(super) fn retain(&mut self, f: impl FnMut(&Completion) -> bool) {
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
}

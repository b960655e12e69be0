//! A fixed log-linear latency histogram (the HDR histogram's bucket layout):
//! exact below 1,024 µs, then 1,024 linear sub-buckets per power of two, so a
//! value's bucket is within 2^-10 (< 0.1 %) of it. Recording is an index
//! computation and one increment (the engine records every request, so this
//! sits in the hot loop; the `hdrhistogram` crate costs ~4-5 ns per record
//! here, this ~1 ns). Memory is fixed (288 KiB) whatever the request count.

const SUB_BITS: u32 = 10;
const SUB: u64 = 1 << SUB_BITS;
/// Values from 2^MAX_EXP µs (~203 days) up share the last bucket.
const MAX_EXP: u32 = 44;
const LEN: usize = ((MAX_EXP - SUB_BITS + 2) as usize) << SUB_BITS;

#[derive(Clone)]
pub struct LatencyHistogram {
    counts: Box<[u64]>,
    total: u64,
    /// Range of indices that may be non-zero, for cheap reset and merge.
    lo: usize,
    hi: usize,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for LatencyHistogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LatencyHistogram({} values)", self.total)
    }
}

#[inline]
fn index(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let e = 63 - v.leading_zeros();
    if e > MAX_EXP {
        return LEN - 1;
    }
    ((((e - SUB_BITS + 1) as u64) << SUB_BITS) | ((v >> (e - SUB_BITS)) & (SUB - 1))) as usize
}

/// The highest value that maps to bucket `i`.
fn highest(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let g = i >> SUB_BITS;
    let sub = i & (SUB - 1);
    let low = (SUB + sub) << (g - 1);
    low + (1u64 << (g - 1)) - 1
}

impl LatencyHistogram {
    pub fn new() -> Self {
        LatencyHistogram {
            counts: vec![0; LEN].into_boxed_slice(),
            total: 0,
            lo: LEN,
            hi: 0,
        }
    }

    #[inline]
    pub fn record(&mut self, v: u64) {
        let i = index(v);
        self.counts[i] += 1;
        self.total += 1;
        self.lo = self.lo.min(i);
        self.hi = self.hi.max(i);
    }

    pub fn len(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The value at quantile `q` (0..=1): the highest value equivalent to the
    /// bucket holding the ⌈q·n⌉-th smallest value. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for i in self.lo..=self.hi {
            seen += self.counts[i];
            if seen >= rank {
                return Some(highest(i));
            }
        }
        Some(highest(self.hi))
    }

    /// Adds another histogram's counts to this one.
    pub fn add(&mut self, other: &LatencyHistogram) {
        if other.total == 0 {
            return;
        }
        for i in other.lo..=other.hi {
            self.counts[i] += other.counts[i];
        }
        self.total += other.total;
        self.lo = self.lo.min(other.lo);
        self.hi = self.hi.max(other.hi);
    }

    pub fn reset(&mut self) {
        if self.total > 0 {
            self.counts[self.lo..=self.hi].fill(0);
        }
        self.total = 0;
        self.lo = LEN;
        self.hi = 0;
    }
}

/// A histogram's non-empty buckets, for keeping many of them (one per
/// minute) cheaply; added back into a [`LatencyHistogram`] exactly.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SparseHistogram {
    buckets: Vec<(u32, u64)>,
}

impl SparseHistogram {
    pub fn of(h: &LatencyHistogram) -> SparseHistogram {
        if h.total == 0 {
            return SparseHistogram::default();
        }
        SparseHistogram {
            buckets: (h.lo..=h.hi)
                .filter(|&i| h.counts[i] > 0)
                .map(|i| (i as u32, h.counts[i]))
                .collect(),
        }
    }

    pub fn add_to(&self, h: &mut LatencyHistogram) {
        for &(i, c) in &self.buckets {
            let i = i as usize;
            h.counts[i] += c;
            h.total += c;
            h.lo = h.lo.min(i);
            h.hi = h.hi.max(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};
    use rand::Rng;

    #[test]
    fn buckets_are_contiguous_and_tight() {
        let mut prev_high = None;
        for i in 0..(LEN - 1) {
            let h = highest(i);
            if let Some(p) = prev_high {
                assert_eq!(index(p + 1), i, "gap before bucket {i}");
            }
            assert_eq!(index(h), i);
            prev_high = Some(h);
        }
        for v in [0u64, 1, 1023, 1024, 1025, 2047, 2048, 123_456_789, 1 << 40] {
            let h = highest(index(v));
            assert!(h >= v && (h - v) as f64 <= v as f64 / 1024.0, "{v} -> {h}");
        }
        assert_eq!(index(u64::MAX), LEN - 1);
    }

    #[test]
    fn quantiles_match_exact_order_statistics_within_a_tenth_of_a_percent() {
        let mut rng = stream(5, Stream::ServiceTimes);
        let mut values: Vec<u64> = (0..100_000)
            .map(|_| rng.next_u64() % 10_000_000 + (rng.next_u64() % 3000))
            .collect();
        let mut h = LatencyHistogram::new();
        for &v in &values {
            h.record(v);
        }
        values.sort_unstable();
        for q in [0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
            let exact = values[((q * values.len() as f64).ceil() as usize).max(1) - 1];
            let got = h.quantile(q).unwrap();
            assert!(
                got >= exact && (got - exact) as f64 <= exact as f64 / 1024.0 + 1.0,
                "q {q}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn add_and_reset() {
        let mut a = LatencyHistogram::new();
        let mut b = LatencyHistogram::new();
        a.record(5);
        b.record(5000);
        b.record(7);
        a.add(&b);
        assert_eq!(a.len(), 3);
        assert_eq!(a.quantile(0.5), Some(7));
        b.reset();
        assert!(b.is_empty() && b.quantile(0.5).is_none());
        b.record(3);
        assert_eq!(b.quantile(1.0), Some(3));
    }
}

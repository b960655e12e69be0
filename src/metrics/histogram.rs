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

/// A value's bucket: group `g = e − SUB_BITS + 1` of the value's top bit
/// `e` (group 0: the exact values below `SUB`), sub-bucket the `SUB_BITS`
/// bits below the top one. Computed as `(e' − SUB_BITS)·SUB + (v >> (e' −
/// SUB_BITS))` with `e' = max(e, SUB_BITS)` (OR-ing in bit `SUB_BITS`):
/// the shifted value is `SUB` plus the sub-bucket above `SUB`, and `v`
/// itself below — no branch for the exact range.
#[inline]
fn index(v: u64) -> usize {
    let e = 63 - (v | SUB).leading_zeros();
    if e > MAX_EXP {
        return LEN - 1;
    }
    let shift = e - SUB_BITS;
    ((u64::from(shift) << SUB_BITS) + (v >> shift)) as usize
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

    /// Records `n` occurrences of `v`.
    pub fn record_n(&mut self, v: u64, n: u64) {
        let i = index(v);
        self.counts[i] += n;
        self.total += n;
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

    /// [`quantile`](Self::quantile) at several ascending `qs`, in one pass
    /// (the same values: each is the first bucket whose running count reaches
    /// its rank).
    pub fn quantiles<const N: usize>(&self, qs: [f64; N]) -> [Option<u64>; N] {
        let mut out = [None; N];
        if self.total == 0 {
            return out;
        }
        let ranks = qs.map(|q| ((q * self.total as f64).ceil() as u64).clamp(1, self.total));
        let mut k = 0;
        let mut seen = 0;
        let mut base = self.lo;
        // Whole chunks that cannot reach the next rank are summed, not walked.
        for chunk in self.counts[self.lo..=self.hi].chunks(64) {
            let sum: u64 = chunk.iter().sum();
            if seen + sum < ranks[k] {
                seen += sum;
                base += chunk.len();
                continue;
            }
            for (i, &c) in chunk.iter().enumerate() {
                seen += c;
                while k < N && seen >= ranks[k] {
                    out[k] = Some(highest(base + i));
                    k += 1;
                }
                if k == N {
                    return out;
                }
            }
            base += chunk.len();
        }
        for o in out.iter_mut().skip(k) {
            *o = Some(highest(self.hi));
        }
        out
    }

    /// Adds this histogram's counts to `into` and empties it, in one pass
    /// (as `into.add(self)` then `self.reset()`).
    pub fn drain_into(&mut self, into: &mut LatencyHistogram) {
        if self.total > 0 {
            for (t, c) in into.counts[self.lo..=self.hi]
                .iter_mut()
                .zip(&mut self.counts[self.lo..=self.hi])
            {
                *t += *c;
                *c = 0;
            }
            into.total += self.total;
            into.lo = into.lo.min(self.lo);
            into.hi = into.hi.max(self.hi);
        }
        self.total = 0;
        self.lo = LEN;
        self.hi = 0;
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

/// A coarse histogram of weighted values for the fluid screen
/// (docs/sweeps.md, "Screening"), which records a second's latency
/// distribution as a few weighted points: the same log-linear layout with
/// 64 sub-buckets per power of two (a bucket is within 1.6 % of its values;
/// a quantile is reported at its bucket's middle, within 0.8 %), so that a
/// minute's quantiles scan a few hundred buckets, not thousands.
#[derive(Clone)]
pub struct WeightedHistogram {
    w: Box<[f64]>,
    total: f64,
    lo: usize,
    hi: usize,
}

const W_SUB_BITS: u32 = 6;
const W_SUB: u64 = 1 << W_SUB_BITS;
const W_LEN: usize = ((MAX_EXP - W_SUB_BITS + 2) as usize) << W_SUB_BITS;

#[inline]
fn w_index(v: u64) -> usize {
    if v < W_SUB {
        return v as usize;
    }
    let e = 63 - v.leading_zeros();
    if e > MAX_EXP {
        return W_LEN - 1;
    }
    ((((e - W_SUB_BITS + 1) as u64) << W_SUB_BITS) | ((v >> (e - W_SUB_BITS)) & (W_SUB - 1)))
        as usize
}

/// The lowest value of bucket `i` and its width.
fn w_bounds(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < W_SUB {
        return (i, 1);
    }
    let g = i >> W_SUB_BITS;
    let sub = i & (W_SUB - 1);
    ((W_SUB + sub) << (g - 1), 1u64 << (g - 1))
}

impl Default for WeightedHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for WeightedHistogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WeightedHistogram({} weight)", self.total)
    }
}

impl WeightedHistogram {
    pub fn new() -> Self {
        WeightedHistogram {
            w: vec![0.0; W_LEN].into_boxed_slice(),
            total: 0.0,
            lo: W_LEN,
            hi: 0,
        }
    }

    /// Records value `v` (µs) with weight `weight` (≥ 0).
    #[inline]
    pub fn record(&mut self, v: u64, weight: f64) {
        let i = w_index(v);
        self.w[i] += weight;
        self.total += weight;
        self.lo = self.lo.min(i);
        self.hi = self.hi.max(i);
    }

    pub fn total(&self) -> f64 {
        self.total
    }

    /// The value at quantile `q`: the middle of the bucket where the
    /// cumulative weight reaches `q` of the total. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total <= 0.0 {
            return None;
        }
        // A relative slack against rounding in the running sum.
        let rank = q * self.total * (1.0 - 1e-12);
        let mut seen = 0.0;
        for i in self.lo..=self.hi {
            seen += self.w[i];
            if seen >= rank && self.w[i] > 0.0 {
                let (low, width) = w_bounds(i);
                return Some(low + width / 2);
            }
        }
        let (low, width) = w_bounds(self.hi);
        Some(low + width / 2)
    }

    /// Several quantiles (ascending) in one pass; as [`quantile`](Self::quantile).
    pub fn quantiles<const N: usize>(&self, qs: [f64; N]) -> [Option<u64>; N] {
        let mut out = [None; N];
        if self.total <= 0.0 {
            return out;
        }
        let ranks = qs.map(|q| q * self.total * (1.0 - 1e-12));
        let mut k = 0;
        let mut seen = 0.0;
        for i in self.lo..=self.hi {
            let w = self.w[i];
            if w == 0.0 {
                continue;
            }
            seen += w;
            while k < N && seen >= ranks[k] {
                let (low, width) = w_bounds(i);
                out[k] = Some(low + width / 2);
                k += 1;
            }
            if k == N {
                return out;
            }
        }
        let (low, width) = w_bounds(self.hi);
        for o in out.iter_mut().skip(k) {
            *o = Some(low + width / 2);
        }
        out
    }

    /// Adds this histogram to `into` and empties it, in one pass.
    pub fn drain_into(&mut self, into: &mut WeightedHistogram) {
        if self.lo <= self.hi {
            for i in self.lo..=self.hi {
                into.w[i] += self.w[i];
                self.w[i] = 0.0;
            }
            into.total += self.total;
            into.lo = into.lo.min(self.lo);
            into.hi = into.hi.max(self.hi);
        }
        self.total = 0.0;
        self.lo = W_LEN;
        self.hi = 0;
    }

    pub fn add(&mut self, other: &WeightedHistogram) {
        if other.total <= 0.0 {
            return;
        }
        for i in other.lo..=other.hi {
            self.w[i] += other.w[i];
        }
        self.total += other.total;
        self.lo = self.lo.min(other.lo);
        self.hi = self.hi.max(other.hi);
    }

    pub fn reset(&mut self) {
        if self.lo <= self.hi {
            self.w[self.lo..=self.hi].fill(0.0);
        }
        self.total = 0.0;
        self.lo = W_LEN;
        self.hi = 0;
    }

    /// Adds these values to `h` (at each bucket's middle), `scale` counts per
    /// unit of weight, rounded: quantiles do not depend on the scale, so a
    /// fluid run's histograms can be merged and reported as an exact run's.
    pub fn add_to(&self, h: &mut LatencyHistogram, scale: f64) {
        if self.total <= 0.0 {
            return;
        }
        for i in self.lo..=self.hi {
            let n = (self.w[i] * scale).round() as u64;
            if n > 0 {
                let (low, width) = w_bounds(i);
                h.record_n(low + width / 2, n);
            }
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

    /// The layout's definition, written out: the exact values below `SUB`,
    /// then group `e − SUB_BITS + 1` of the top bit `e` and the `SUB_BITS`
    /// bits below it. `index` must equal it everywhere.
    fn index_by_definition(v: u64) -> usize {
        if v < SUB {
            return v as usize;
        }
        let e = 63 - v.leading_zeros();
        if e > MAX_EXP {
            return LEN - 1;
        }
        ((((e - SUB_BITS + 1) as u64) << SUB_BITS) | ((v >> (e - SUB_BITS)) & (SUB - 1))) as usize
    }

    #[test]
    fn index_is_the_layout_definition() {
        let mut rng = stream(9, Stream::ServiceTimes);
        for e in 0..64 {
            let top = 1u64 << e;
            for v in [top - 1, top, top + 1, top | (top >> 1), (top - 1) | top] {
                assert_eq!(index(v), index_by_definition(v), "{v}");
            }
        }
        for _ in 0..200_000 {
            let v: u64 = rng.next_u64() >> (rng.next_u32() % 64);
            assert_eq!(index(v), index_by_definition(v), "{v}");
        }
        assert_eq!(index(u64::MAX), index_by_definition(u64::MAX));
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
        // One pass for several quantiles and for add-then-reset: the same.
        let mut h = LatencyHistogram::new();
        for v in [5u64, 900, 1_500, 70_000, 70_001, 3_000_000] {
            h.record(v);
        }
        let qs = [0.1, 0.5, 0.5, 0.95, 0.99, 1.0];
        assert_eq!(h.quantiles(qs), qs.map(|q| h.quantile(q)));
        let mut a = LatencyHistogram::new();
        a.record(42);
        let mut b = a.clone();
        b.add(&h);
        let mut d = h.clone();
        d.drain_into(&mut a);
        assert!(d.is_empty() && d.quantile(0.5).is_none());
        assert_eq!(a.len(), b.len());
        assert_eq!(a.quantiles(qs), b.quantiles(qs));
        assert_eq!(LatencyHistogram::new().quantiles([0.5]), [None]);
    }

    #[test]
    fn weighted_quantiles_within_their_bucket() {
        // Weight 1 on each of 1..=10000 µs: the q-quantile is q·10000 within
        // a bucket (1/64 of the value, reported at the middle: < 0.8 %).
        let mut h = WeightedHistogram::new();
        for v in 1..=10_000u64 {
            h.record(v, 1.0);
        }
        for q in [0.5, 0.9, 0.95, 0.99] {
            let got = h.quantile(q).unwrap() as f64;
            let want = q * 10_000.0;
            assert!((got / want - 1.0).abs() < 0.008, "q {q}: {got} vs {want}");
        }
        // Weights, not counts: 0.5 at 100 µs and 1.5 at 5000 µs puts the
        // median in the upper bucket (0.25 of the weight is below it).
        let mut w = WeightedHistogram::new();
        w.record(100, 0.5);
        w.record(5_000, 1.5);
        assert_eq!(w.quantile(0.2), Some(100));
        let m = w.quantile(0.5).unwrap();
        assert!((4_960..=5_040).contains(&m), "{m}");
        let mut sum = WeightedHistogram::new();
        sum.add(&w);
        sum.add(&w);
        assert_eq!(sum.total(), 4.0);
        sum.reset();
        assert_eq!(sum.quantile(0.5), None);
        assert_eq!(w.quantiles([0.2, 0.5]), [w.quantile(0.2), w.quantile(0.5)]);
        let mut into = WeightedHistogram::new();
        let mut from = w.clone();
        from.drain_into(&mut into);
        assert_eq!((from.total(), into.total()), (0.0, 2.0));
        assert_eq!(into.quantile(0.5), w.quantile(0.5));
        let mut lh = LatencyHistogram::new();
        w.add_to(&mut lh, 2.0);
        assert_eq!(lh.len(), 4);
    }
}

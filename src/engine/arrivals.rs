//! Lazy arrival generation from trace rows: one pending arrival at a time,
//! never a heap full of them.
//!
//! Rate traces: each row's rate holds until the next row (count rows spread
//! their count over that interval); the last row lasts one median interval.
//! The next arrival is when the integral of the rate reaches a target: an
//! Exp(1) draw for a Poisson process (memoryless across rate changes), or 1
//! for evenly spaced arrivals.

use crate::rng::SimRng;
use crate::trace::{TraceKind, TraceRow};
use crate::units::US_PER_SEC;
use rand_distr::{Distribution, Exp1};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ArrivalProcess {
    /// A Poisson process inside each row interval.
    #[default]
    Poisson,
    /// Evenly spaced arrivals.
    Uniform,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrival {
    pub t_us: u64,
    pub service_us: Option<u64>,
    /// Tokens of the request's LLM call, when the trace gives them.
    pub tokens_in: Option<f64>,
    pub tokens_out: Option<f64>,
    pub session: Option<u64>,
}

pub struct Arrivals<I: Iterator<Item = TraceRow>> {
    rows: I,
    kind: TraceKind,
    median_interval_us: u64,
    /// Row whose segment starts next (lookahead of one row).
    next_row: Option<TraceRow>,
    cur: RateCursor,
    /// The current rate row's mean tokens.
    seg_tokens: (Option<f64>, Option<f64>),
}

/// Where a rate trace's arrivals stand inside the current row's segment:
/// all the next arrival inside it depends on. A loop over many arrivals
/// copies it out ([`Arrivals::cursor`]), so its fields live in registers,
/// and puts it back ([`Arrivals::set_cursor`]) before anything else reads
/// the arrivals.
#[derive(Clone, Debug)]
pub struct RateCursor {
    process: ArrivalProcess,
    rng: SimRng,
    seg_end: f64,
    /// Rate in arrivals per µs in the current segment.
    rate_per_us: f64,
    pos: f64,
    /// Integral of the rate accumulated towards `target`.
    credit: f64,
    target: f64,
}

impl RateCursor {
    /// The next arrival's time when it falls inside the current segment;
    /// `None` (nothing changed) when it does not, and
    /// [`Arrivals::next_time`] must move on through the trace.
    #[inline(always)]
    pub fn next_in_segment(&mut self) -> Option<u64> {
        if self.rate_per_us > 0.0 {
            let need = self.target - self.credit;
            let t = self.pos + need / self.rate_per_us;
            if t < self.seg_end {
                self.pos = t;
                self.credit = 0.0;
                self.target = match self.process {
                    ArrivalProcess::Poisson => Exp1.sample(&mut self.rng),
                    ArrivalProcess::Uniform => 1.0,
                };
                return Some(crate::units::f64_to_u64(t));
            }
        }
        None
    }
}

impl<I: Iterator<Item = TraceRow>> Arrivals<I> {
    pub fn new(
        mut rows: I,
        kind: TraceKind,
        median_interval_us: u64,
        process: ArrivalProcess,
        rng: SimRng,
    ) -> Self {
        let next_row = rows.next();
        let mut cur = RateCursor {
            process,
            rng,
            seg_end: 0.0,
            rate_per_us: 0.0,
            pos: 0.0,
            credit: if process == ArrivalProcess::Uniform {
                0.5
            } else {
                0.0
            },
            target: 1.0,
        };
        if process == ArrivalProcess::Poisson {
            cur.target = Exp1.sample(&mut cur.rng);
        }
        Arrivals {
            rows,
            kind,
            median_interval_us,
            next_row,
            cur,
            seg_tokens: (None, None),
        }
    }

    /// Moves to the next rate segment; false at the end of the trace.
    fn next_segment(&mut self) -> bool {
        loop {
            let Some(row) = self.next_row.take() else {
                return false;
            };
            self.next_row = self.rows.next();
            let end = match &self.next_row {
                Some(n) => n.t_us,
                None => row.t_us + self.median_interval_us,
            };
            let len = end.saturating_sub(row.t_us);
            if len == 0 {
                continue;
            }
            self.cur.pos = row.t_us as f64;
            self.cur.seg_end = end as f64;
            self.seg_tokens = (row.tokens_in, row.tokens_out);
            self.cur.rate_per_us = match self.kind {
                TraceKind::Rate => row.value / US_PER_SEC as f64,
                _ => row.value / len as f64,
            };
            return true;
        }
    }

    #[inline(always)]
    fn next_rate_arrival(&mut self) -> Option<Arrival> {
        let t_us = self.next_rate_time()?;
        Some(self.at(t_us))
    }

    /// Whether arrivals carry nothing but their time (a rate or count
    /// trace): then [`next_time`](Self::next_time) may stand for `next`.
    pub fn plain(&self) -> bool {
        self.kind != TraceKind::Request
    }

    /// The next arrival's time, for a [`plain`](Self::plain) trace; the
    /// same times as [`next`](Iterator::next) without building an
    /// [`Arrival`] (its tokens are the current row's, read with
    /// [`at`](Self::at) when one is needed).
    #[inline(always)]
    pub fn next_time(&mut self) -> Option<u64> {
        debug_assert!(self.plain(), "next_time on a request trace");
        self.next_rate_time()
    }

    /// The arrival at `t_us` of a [`plain`](Self::plain) trace, just given
    /// by [`next_time`](Self::next_time) (the current row's tokens).
    #[inline(always)]
    pub fn at(&self, t_us: u64) -> Arrival {
        Arrival {
            t_us,
            service_us: None,
            tokens_in: self.seg_tokens.0,
            tokens_out: self.seg_tokens.1,
            session: None,
        }
    }

    /// A copy of where the arrivals stand in the current segment, for a
    /// loop to draw from with [`RateCursor::next_in_segment`].
    pub fn cursor(&self) -> RateCursor {
        self.cur.clone()
    }

    /// Puts back the cursor taken with [`cursor`](Self::cursor).
    pub fn set_cursor(&mut self, cur: RateCursor) {
        self.cur = cur;
    }

    #[inline(always)]
    fn next_rate_time(&mut self) -> Option<u64> {
        loop {
            if let Some(t) = self.cur.next_in_segment() {
                return Some(t);
            }
            let c = &mut self.cur;
            if c.rate_per_us > 0.0 {
                c.credit += c.rate_per_us * (c.seg_end - c.pos);
            }
            if !self.next_segment() {
                return None;
            }
        }
    }
}

impl<I: Iterator<Item = TraceRow>> Iterator for Arrivals<I> {
    type Item = Arrival;

    #[inline(always)]
    fn next(&mut self) -> Option<Arrival> {
        match self.kind {
            TraceKind::Request => {
                let row = self.next_row.take()?;
                self.next_row = self.rows.next();
                Some(Arrival {
                    t_us: row.t_us,
                    service_us: row.service_us,
                    tokens_in: row.tokens_in,
                    tokens_out: row.tokens_out,
                    session: row.session,
                })
            }
            _ => self.next_rate_arrival(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};

    fn row(t_s: u64, value: f64) -> TraceRow {
        TraceRow {
            t_us: t_s * US_PER_SEC,
            value,
            service_us: None,
            tokens_in: None,
            tokens_out: None,
            session: None,
            region: None,
        }
    }

    #[test]
    fn uniform_arrivals_follow_the_rate_exactly() {
        let rows = vec![row(0, 2.0), row(10, 0.0), row(20, 1.0)];
        let a: Vec<_> = Arrivals::new(
            rows.into_iter(),
            TraceKind::Rate,
            10 * US_PER_SEC,
            ArrivalProcess::Uniform,
            stream(1, Stream::Arrivals),
        )
        .collect();
        // 2/s for 10 s, nothing for 10 s, 1/s for 10 s (the last row lasts one median interval).
        assert_eq!(a.len(), 30);
        assert_eq!(a[0].t_us, 250_000);
        assert!(a[19].t_us < 10 * US_PER_SEC && a[20].t_us >= 20 * US_PER_SEC);
    }

    #[test]
    fn poisson_count_matches_the_integral() {
        let rows = vec![row(0, 600.0), row(60, 1200.0)];
        let n = Arrivals::new(
            rows.into_iter(),
            TraceKind::Count,
            60 * US_PER_SEC,
            ArrivalProcess::Poisson,
            stream(3, Stream::Arrivals),
        )
        .count();
        // 1800 expected, sd ~42: 5 sd tolerance.
        assert!((n as f64 - 1800.0).abs() < 215.0, "{n}");
    }
}

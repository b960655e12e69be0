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
    process: ArrivalProcess,
    rng: SimRng,
    /// Row whose segment starts next (lookahead of one row).
    next_row: Option<TraceRow>,
    seg_end: f64,
    /// Rate in arrivals per µs in the current segment.
    rate_per_us: f64,
    pos: f64,
    /// Integral of the rate accumulated towards `target`.
    credit: f64,
    target: f64,
    /// The current rate row's mean tokens.
    seg_tokens: (Option<f64>, Option<f64>),
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
        let mut a = Arrivals {
            rows,
            kind,
            median_interval_us,
            process,
            rng,
            next_row,
            seg_end: 0.0,
            rate_per_us: 0.0,
            pos: 0.0,
            credit: if process == ArrivalProcess::Uniform {
                0.5
            } else {
                0.0
            },
            target: 1.0,
            seg_tokens: (None, None),
        };
        if a.process == ArrivalProcess::Poisson {
            a.target = Exp1.sample(&mut a.rng);
        }
        a
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
            self.pos = row.t_us as f64;
            self.seg_end = end as f64;
            self.seg_tokens = (row.tokens_in, row.tokens_out);
            self.rate_per_us = match self.kind {
                TraceKind::Rate => row.value / US_PER_SEC as f64,
                _ => row.value / len as f64,
            };
            return true;
        }
    }

    #[inline(always)]
    fn next_rate_arrival(&mut self) -> Option<Arrival> {
        loop {
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
                    return Some(Arrival {
                        t_us: crate::units::f64_to_u64(t),
                        service_us: None,
                        tokens_in: self.seg_tokens.0,
                        tokens_out: self.seg_tokens.1,
                        session: None,
                    });
                }
                self.credit += self.rate_per_us * (self.seg_end - self.pos);
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

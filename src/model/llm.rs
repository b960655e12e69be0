//! Amazon Bedrock calls made while serving requests: model choice by
//! strategy, per-call cost from per-1K-token prices, and the cost limits the
//! seeds configure (per session, per day in the scenario's time zone) with
//! `reject`, `downgrade` or `alert_only` when a limit would be crossed.
//!
//! A call's cost is `tokens_in / 1000 × input price + tokens_out / 1000 ×
//! output price` (embedding models bill input tokens only). A limit is hit by
//! the call that would take the session's or the day's cost above it. The cost
//! the same calls would have had without limits is kept alongside, in the same
//! pass, so a run shows what its limits saved.

use crate::metrics::{AlertRow, Threshold};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp1, LogNormal};
use std::collections::HashMap;

/// A model with its prices (USD per 1,000 tokens) and capability tier.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelPrice {
    pub id: String,
    /// 0 embedding, 1 small (Haiku), 2 medium (Sonnet), 3 large (Opus).
    pub tier: u8,
    pub input_per_1k: f64,
    pub output_per_1k: f64,
}

/// The capability tier of a Bedrock model id.
pub fn tier_of(id: &str) -> Option<u8> {
    let id = id.to_ascii_lowercase();
    if id.contains("embed") {
        Some(0)
    } else if id.contains("haiku") {
        Some(1)
    } else if id.contains("sonnet") {
        Some(2)
    } else if id.contains("opus") {
        Some(3)
    } else {
        None
    }
}

impl ModelPrice {
    pub fn cost(&self, tokens_in: f64, tokens_out: f64) -> f64 {
        tokens_in / 1000.0 * self.input_per_1k + tokens_out / 1000.0 * self.output_per_1k
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// The named model (index into the enabled models).
    Fixed(usize),
    CheapestAlways,
    /// Cheapest within a tier.
    CostOptimized(u8),
    /// Highest tier (cheapest among equals).
    PerformanceOptimized,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnLimit {
    Reject,
    Downgrade,
    AlertOnly,
}

/// A token-count distribution.
#[derive(Clone, Debug)]
pub enum Tokens {
    Constant(f64),
    Exponential(f64),
    LogNormal(LogNormal<f64>),
}

impl Tokens {
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Tokens::Constant(v) => *v,
            Tokens::Exponential(m) => {
                let e: f64 = Exp1.sample(rng);
                (e * m).round()
            }
            Tokens::LogNormal(d) => d.sample(rng).round(),
        }
    }
}

/// Everything the engine needs for LLM calls.
#[derive(Clone, Debug)]
pub struct LlmPlan {
    /// Enabled models (disabled ones removed), in catalogue order.
    pub models: Vec<ModelPrice>,
    pub strategy: Strategy,
    /// Share of requests that call a model (1 when the trace carries tokens).
    pub fraction: f64,
    pub tokens_in: Option<Tokens>,
    pub tokens_out: Option<Tokens>,
    pub session_limit_usd: Option<f64>,
    pub daily_limit_usd: Option<f64>,
    pub on_limit: OnLimit,
    /// Mean requests per synthesised session (geometric).
    pub requests_per_session: f64,
    /// A trace's session ends after this long without a request, µs.
    pub session_timeout_us: u64,
    /// Local midnights (µs since the trace start) after the start, ascending.
    pub day_starts_us: Vec<u64>,
}

/// The outcome of one request's LLM call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Call {
    None,
    Served,
    Rejected,
}

/// Running LLM state and counters of one run.
#[derive(Clone, Debug)]
pub struct LlmState {
    pub plan: LlmPlan,
    pub calls: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub rejected: u64,
    pub downgraded: u64,
    pub cost_usd: f64,
    pub cost_unlimited_usd: f64,
    pub cost_by_model: Vec<f64>,
    pub alerts: Vec<AlertRow>,
    day: usize,
    day_cost: f64,
    daily_hit: bool,
    session_hit: bool,
    current_session_cost: f64,
    /// The trace's open sessions: id → (cost so far, time of its last
    /// request). Sessions idle longer than the timeout are dropped at most
    /// one timeout after they end, so the map holds the sessions active in
    /// the last two timeouts, whatever the trace's length.
    named_sessions: HashMap<u64, (f64, u64)>,
    /// When idle sessions are next dropped, µs.
    next_expiry_us: u64,
}

impl LlmState {
    pub fn new(plan: LlmPlan) -> LlmState {
        let n = plan.models.len();
        LlmState {
            plan,
            calls: 0,
            tokens_in: 0,
            tokens_out: 0,
            rejected: 0,
            downgraded: 0,
            cost_usd: 0.0,
            cost_unlimited_usd: 0.0,
            cost_by_model: vec![0.0; n],
            alerts: Vec::new(),
            day: 0,
            day_cost: 0.0,
            daily_hit: false,
            session_hit: false,
            current_session_cost: 0.0,
            named_sessions: HashMap::new(),
            next_expiry_us: 0,
        }
    }

    fn pick(&self, tin: f64, tout: f64) -> usize {
        let m = &self.plan.models;
        let cheapest = |filter: &dyn Fn(&ModelPrice) -> bool| {
            (0..m.len())
                .filter(|i| filter(&m[*i]))
                .min_by(|a, b| m[*a].cost(tin, tout).total_cmp(&m[*b].cost(tin, tout)))
        };
        match self.plan.strategy {
            Strategy::Fixed(i) => i,
            Strategy::CheapestAlways => cheapest(&|_| true).unwrap_or(0),
            Strategy::CostOptimized(t) => cheapest(&|x| x.tier == t)
                .or_else(|| cheapest(&|_| true))
                .unwrap_or(0),
            Strategy::PerformanceOptimized => {
                let top = m.iter().map(|x| x.tier).max().unwrap_or(0);
                cheapest(&|x| x.tier == top).unwrap_or(0)
            }
        }
    }

    fn alert(&mut self, t_us: u64, kind: &str, limit: f64, value: f64) {
        self.alerts.push(AlertRow {
            t_us,
            kind: kind.into(),
            name: "bedrock".into(),
            threshold: Threshold::Usd(limit),
            value,
            projected: false,
        });
    }

    /// One request at `t_us`: whether it calls a model, and what happens.
    /// `tokens` come from the trace when it has them; `session` is the trace's
    /// session id, if any.
    pub fn request<R: Rng + ?Sized>(
        &mut self,
        t_us: u64,
        tokens: (Option<f64>, Option<f64>),
        session: Option<u64>,
        rng_llm: &mut R,
        rng_sessions: &mut R,
    ) -> Call {
        // Day boundaries in the scenario's time zone.
        while self
            .plan
            .day_starts_us
            .get(self.day)
            .is_some_and(|d| t_us >= *d)
        {
            self.day += 1;
            self.day_cost = 0.0;
            self.daily_hit = false;
            self.session_hit = false;
        }
        // Synthesised sessions: a new one starts with probability 1 / mean.
        if session.is_none()
            && rng_sessions.random::<f64>() < 1.0 / self.plan.requests_per_session.max(1.0)
        {
            self.current_session_cost = 0.0;
        }
        // Every request of a trace's session keeps it open, calling or not.
        let named = session.map(|s| self.session_cost(s, t_us));
        let from_trace = tokens.0.is_some() || tokens.1.is_some();
        if !from_trace && rng_llm.random::<f64>() >= self.plan.fraction {
            return Call::None;
        }
        let tin = tokens
            .0
            .or_else(|| self.plan.tokens_in.as_ref().map(|d| d.sample(rng_llm)))
            .unwrap_or(0.0)
            .max(0.0);
        let tout = tokens
            .1
            .or_else(|| self.plan.tokens_out.as_ref().map(|d| d.sample(rng_llm)))
            .unwrap_or(0.0)
            .max(0.0);
        let mut model = self.pick(tin, tout);
        let mut cost = self.plan.models[model].cost(tin, tout);
        self.cost_unlimited_usd += cost;
        let session_cost = match named {
            Some(c) => c,
            None => self.current_session_cost,
        };
        let over_session = self
            .plan
            .session_limit_usd
            .filter(|l| session_cost + cost > *l);
        let over_daily = self
            .plan
            .daily_limit_usd
            .filter(|l| self.day_cost + cost > *l);
        if let Some(l) = over_daily
            && !self.daily_hit
        {
            self.daily_hit = true;
            let v = self.day_cost + cost;
            self.alert(t_us, "llm_daily_limit", l, v);
        }
        if let Some(l) = over_session
            && !self.session_hit
        {
            self.session_hit = true;
            let v = session_cost + cost;
            self.alert(t_us, "llm_session_limit", l, v);
        }
        if over_session.is_some() || over_daily.is_some() {
            match self.plan.on_limit {
                OnLimit::Reject => {
                    self.rejected += 1;
                    return Call::Rejected;
                }
                OnLimit::Downgrade => {
                    let cheapest = (0..self.plan.models.len())
                        .min_by(|a, b| {
                            self.plan.models[*a]
                                .cost(tin, tout)
                                .total_cmp(&self.plan.models[*b].cost(tin, tout))
                        })
                        .unwrap_or(model);
                    model = cheapest;
                    cost = self.plan.models[model].cost(tin, tout);
                    self.downgraded += 1;
                }
                OnLimit::AlertOnly => {}
            }
        }
        self.calls += 1;
        self.tokens_in += tin as u64;
        self.tokens_out += tout as u64;
        self.cost_usd += cost;
        self.cost_by_model[model] += cost;
        self.day_cost += cost;
        match session {
            Some(s) => {
                let e = self.named_sessions.entry(s).or_insert((0.0, t_us));
                e.0 += cost;
            }
            None => self.current_session_cost += cost,
        }
        Call::Served
    }

    /// What the trace's session `s` has spent before `t_us`, with its last
    /// request marked at `t_us`: nothing when it is new or was idle longer
    /// than the timeout (then a new session begins under the same id).
    fn session_cost(&mut self, s: u64, t_us: u64) -> f64 {
        let timeout = self.plan.session_timeout_us;
        if t_us >= self.next_expiry_us {
            self.named_sessions
                .retain(|_, (_, last)| t_us.saturating_sub(*last) <= timeout);
            self.next_expiry_us = t_us.saturating_add(timeout.max(1));
        }
        let e = self.named_sessions.entry(s).or_insert((0.0, t_us));
        if t_us.saturating_sub(e.1) > timeout {
            e.0 = 0.0;
        }
        e.1 = t_us;
        e.0
    }

    /// Sessions of the trace held open now (for the memory bound's tests).
    pub fn open_sessions(&self) -> usize {
        self.named_sessions.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Stream, stream};

    fn models() -> Vec<ModelPrice> {
        vec![
            ModelPrice {
                id: "amazon.titan-embed-text-v1".into(),
                tier: 0,
                input_per_1k: 0.0001,
                output_per_1k: 0.0,
            },
            ModelPrice {
                id: "anthropic.claude-3-haiku".into(),
                tier: 1,
                input_per_1k: 0.00025,
                output_per_1k: 0.00125,
            },
            ModelPrice {
                id: "anthropic.claude-3-sonnet".into(),
                tier: 2,
                input_per_1k: 0.003,
                output_per_1k: 0.015,
            },
            ModelPrice {
                id: "anthropic.claude-3-opus".into(),
                tier: 3,
                input_per_1k: 0.015,
                output_per_1k: 0.075,
            },
        ]
    }

    fn plan(strategy: Strategy) -> LlmPlan {
        LlmPlan {
            models: models(),
            strategy,
            fraction: 1.0,
            tokens_in: None,
            tokens_out: None,
            session_limit_usd: None,
            daily_limit_usd: None,
            on_limit: OnLimit::Reject,
            requests_per_session: 1e12,
            session_timeout_us: 8 * 3600 * 1_000_000,
            day_starts_us: vec![],
        }
    }

    fn one(st: &mut LlmState, t: u64, tin: f64, tout: f64) -> Call {
        let (mut a, mut b) = (stream(1, Stream::Llm), stream(1, Stream::Sessions));
        st.request(t, (Some(tin), Some(tout)), None, &mut a, &mut b)
    }

    #[test]
    fn cost_per_model_by_hand() {
        // 1,000 in / 500 out: Haiku $0.00025 + $0.000625 = $0.000875;
        // Sonnet $0.003 + $0.0075 = $0.0105; Opus $0.015 + $0.0375 = $0.0525.
        let m = models();
        assert!((m[1].cost(1000.0, 500.0) - 0.000875).abs() < 1e-15);
        assert!((m[2].cost(1000.0, 500.0) - 0.0105).abs() < 1e-15);
        assert!((m[3].cost(1000.0, 500.0) - 0.0525).abs() < 1e-15);
        // Titan embeddings: input only, $0.0001 per 1K: 2,000 tokens = $0.0002.
        assert!((m[0].cost(2000.0, 0.0) - 0.0002).abs() < 1e-15);
    }

    #[test]
    fn strategies_choose_as_named() {
        let mut s = LlmState::new(plan(Strategy::PerformanceOptimized));
        one(&mut s, 0, 1000.0, 500.0);
        assert!((s.cost_by_model[3] - 0.0525).abs() < 1e-12);
        let mut s = LlmState::new(plan(Strategy::CostOptimized(2)));
        one(&mut s, 0, 1000.0, 500.0);
        assert!((s.cost_by_model[2] - 0.0105).abs() < 1e-12);
        let mut s = LlmState::new(plan(Strategy::CheapestAlways));
        one(&mut s, 0, 1000.0, 500.0);
        assert!((s.cost_by_model[0] - 0.0001).abs() < 1e-12);
    }

    #[test]
    fn daily_limit_rejects_until_midnight() {
        // Sonnet calls of $0.0105 each; $0.05 a day: the 5th call would reach
        // $0.0525 > $0.05 and is rejected, as is every call until the next day.
        let mut p = plan(Strategy::Fixed(2));
        p.daily_limit_usd = Some(0.05);
        p.day_starts_us = vec![1_000];
        let mut s = LlmState::new(p);
        let got: Vec<Call> = (0..6).map(|i| one(&mut s, i, 1000.0, 500.0)).collect();
        assert_eq!(&got[..4], &[Call::Served; 4]);
        assert_eq!(&got[4..], &[Call::Rejected; 2]);
        assert_eq!(s.alerts.len(), 1);
        assert_eq!(one(&mut s, 1_000, 1000.0, 500.0), Call::Served);
        assert!((s.cost_unlimited_usd - 7.0 * 0.0105).abs() < 1e-12);
        assert!((s.cost_usd - 5.0 * 0.0105).abs() < 1e-12);
    }

    #[test]
    fn downgrade_serves_the_cheapest_allowed_model() {
        let mut p = plan(Strategy::Fixed(3));
        p.session_limit_usd = Some(0.06);
        p.on_limit = OnLimit::Downgrade;
        let mut s = LlmState::new(p);
        one(&mut s, 0, 1000.0, 500.0); // Opus $0.0525
        one(&mut s, 1, 1000.0, 500.0); // would be $0.105 > $0.06: Titan instead
        assert_eq!(s.downgraded, 1);
        assert!((s.cost_by_model[0] - 0.0001).abs() < 1e-12);
    }

    fn named(st: &mut LlmState, t: u64, session: u64) -> Call {
        let (mut a, mut b) = (stream(1, Stream::Llm), stream(1, Stream::Sessions));
        st.request(
            t,
            (Some(1000.0), Some(500.0)),
            Some(session),
            &mut a,
            &mut b,
        )
    }

    #[test]
    fn a_session_idle_past_its_timeout_starts_again() {
        // Sonnet $0.0105 a call, $0.03 a session, 60 s idle timeout: calls at
        // 0, 30 and 60 s cost $0.0315 > $0.03, so the third is rejected (the
        // session was never idle more than 60 s); a call 61 s after the last
        // one opens a new session with nothing spent and is served.
        let mut p = plan(Strategy::Fixed(2));
        p.session_limit_usd = Some(0.03);
        p.session_timeout_us = 60_000_000;
        let mut s = LlmState::new(p);
        assert_eq!(named(&mut s, 0, 7), Call::Served);
        assert_eq!(named(&mut s, 30_000_000, 7), Call::Served);
        assert_eq!(named(&mut s, 60_000_000, 7), Call::Rejected);
        // Idle exactly the timeout (60 s after the rejected call, which kept
        // it open): still the same session, still over its limit.
        assert_eq!(named(&mut s, 120_000_000, 7), Call::Rejected);
        assert_eq!(named(&mut s, 180_000_001, 7), Call::Served);
        assert!((s.cost_usd - 3.0 * 0.0105).abs() < 1e-12);
    }

    #[test]
    fn open_sessions_are_bounded_by_the_timeout_not_the_trace() {
        // One new session a second for 10,000 s with a 100 s timeout: at any
        // time at most the sessions of the last two timeouts (200) are held.
        let mut p = plan(Strategy::Fixed(2));
        p.session_timeout_us = 100_000_000;
        let mut s = LlmState::new(p);
        let mut most = 0;
        for i in 0..10_000u64 {
            named(&mut s, i * 1_000_000, i);
            most = most.max(s.open_sessions());
        }
        assert!(most <= 202, "{most} sessions held");
        assert!(most >= 100, "{most}: sessions expire too early");
    }
}

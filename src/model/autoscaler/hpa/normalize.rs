//! Normalising a proposal: stabilisation windows, scale-up and scale-down limits
//! and behaviour policies, as upstream's `normalizeDesiredReplicas` and
//! `normalizeDesiredReplicasWithBehaviors` (pkg/controller/podautoscaler/horizontal.go).

use super::*;

/// The rate limit or bound applied in normalisation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RateLimit {
    /// `ScalingLimited` condition reason: DesiredWithinRange, TooFewReplicas,
    /// TooManyReplicas, ScaleUpLimit or ScaleDownLimit.
    pub condition: String,
    /// The limit in the direction of travel (None when not scaling).
    pub limit: Option<i32>,
    /// Whether the limit or bound changed the stabilised recommendation.
    pub applied: bool,
}

impl RateLimit {
    fn new(condition: &str, limit: Option<i32>, applied: bool) -> RateLimit {
        RateLimit {
            condition: condition.into(),
            limit,
            applied,
        }
    }
}

/// `stabilizeRecommendation` (legacy): max over recommendations no older than
/// the window (inclusive); stores the raw value, replacing the last expired entry.
pub(crate) fn stabilize_legacy(
    recs: &mut Vec<(i32, f64)>,
    desired: i32,
    window_s: f64,
    now_s: f64,
) -> i32 {
    let mut max = desired;
    let mut old = None;
    for (i, (r, t)) in recs.iter().enumerate() {
        if *t < now_s - window_s {
            old = Some(i);
        } else if *r > max {
            max = *r;
        }
    }
    match old {
        Some(i) => recs[i] = (desired, now_s),
        None => recs.push((desired, now_s)),
    }
    max
}

/// `stabilizeRecommendationWithBehaviors`: clamp(current, min of the up
/// window ∪ desired, max of the down window ∪ desired), windows strict.
pub(crate) fn stabilize_behavior(
    recs: &mut Vec<(i32, f64)>,
    desired: i32,
    current: i32,
    up_w: f64,
    down_w: f64,
    now_s: f64,
) -> i32 {
    let (mut up, mut down) = (desired, desired);
    let (up_cut, down_cut) = (now_s - up_w, now_s - down_w);
    let mut old = None;
    for (i, (r, t)) in recs.iter().enumerate() {
        if *t > up_cut {
            up = up.min(*r);
        }
        if *t > down_cut {
            down = down.max(*r);
        }
        if *t < up_cut && *t < down_cut {
            old = Some(i);
        }
    }
    let mut rec = current;
    if rec < up {
        rec = up;
    }
    if rec > down {
        rec = down;
    }
    match old {
        Some(i) => recs[i] = (desired, now_s),
        None => recs.push((desired, now_s)),
    }
    rec
}

/// Sum of the changes of events younger than `period_s` (strict).
pub(crate) fn change_in_period(events: &[TimedEvent], period_s: f64, now_s: f64) -> i32 {
    events
        .iter()
        .filter(|e| e.t_s > now_s - period_s)
        .map(|e| e.replica_change)
        .sum()
}

pub(crate) fn period_start(current: i32, p_s: f64, h: &History, now_s: f64) -> i32 {
    current - change_in_period(&h.scale_up_events, p_s, now_s)
        + change_in_period(&h.scale_down_events, p_s, now_s)
}

/// `calculateScaleUpLimitWithScalingRules`.
pub fn scale_up_limit(current: i32, h: &History, rules: &ResolvedRules, now_s: f64) -> i32 {
    let select = rules.select_policy;
    if select == SelectPolicy::Disabled {
        return current;
    }
    let mut result = if select == SelectPolicy::Min {
        i32::MAX
    } else {
        i32::MIN
    };
    for p in &rules.policies {
        let start = period_start(current, f64::from(p.period_s), h, now_s);
        let proposed = match p.kind {
            PolicyKind::Pods => start.saturating_add(p.value),
            PolicyKind::Percent => ceil_i32(f64::from(start) * (1.0 + f64::from(p.value) / 100.0)),
        };
        result = if select == SelectPolicy::Min {
            result.min(proposed)
        } else {
            result.max(proposed)
        };
    }
    result
}

/// `calculateScaleDownLimitWithBehaviors`.
pub fn scale_down_limit(current: i32, h: &History, rules: &ResolvedRules, now_s: f64) -> i32 {
    let select = rules.select_policy;
    if select == SelectPolicy::Disabled {
        return current;
    }
    let mut result = if select == SelectPolicy::Min {
        i32::MIN
    } else {
        i32::MAX
    };
    for p in &rules.policies {
        let start = period_start(current, f64::from(p.period_s), h, now_s);
        let proposed = match p.kind {
            PolicyKind::Pods => start.saturating_sub(p.value),
            PolicyKind::Percent => (f64::from(start) * (1.0 - f64::from(p.value) / 100.0)) as i32,
        };
        result = if select == SelectPolicy::Min {
            result.max(proposed)
        } else {
            result.min(proposed)
        };
    }
    result
}

/// `convertDesiredReplicasWithBehaviorRate`: (replicas, rate limit).
#[allow(clippy::too_many_arguments)]
pub fn behavior_rate(
    desired: i32,
    current: i32,
    min: i32,
    max: i32,
    h: &History,
    up: &ResolvedRules,
    down: &ResolvedRules,
    now_s: f64,
) -> (i32, RateLimit) {
    if desired > current {
        let mut limit = scale_up_limit(current, h, up, now_s);
        if limit < current {
            limit = current;
        }
        let max_allowed = max.min(limit);
        let condition = if limit < max {
            "ScaleUpLimit"
        } else {
            "TooManyReplicas"
        };
        if desired > max_allowed {
            return (max_allowed, RateLimit::new(condition, Some(limit), true));
        }
        (
            desired,
            RateLimit::new("DesiredWithinRange", Some(limit), false),
        )
    } else if desired < current {
        let mut limit = scale_down_limit(current, h, down, now_s);
        if limit > current {
            limit = current;
        }
        let min_allowed = min.max(limit);
        let condition = if limit > min {
            "ScaleDownLimit"
        } else {
            "TooFewReplicas"
        };
        if desired < min_allowed {
            return (min_allowed, RateLimit::new(condition, Some(limit), true));
        }
        (
            desired,
            RateLimit::new("DesiredWithinRange", Some(limit), false),
        )
    } else {
        (desired, RateLimit::new("DesiredWithinRange", None, false))
    }
}

/// `convertDesiredReplicasWithRules` (legacy): min/max and the scale-up limit
/// `max(factor × current, minimum)`; no scale-down rate limit.
pub fn legacy_rules(
    desired: i32,
    current: i32,
    min: i32,
    max: i32,
    opts: &ControllerOptions,
) -> (i32, RateLimit) {
    let limit =
        (opts.scale_up_limit_factor * f64::from(current)).max(opts.scale_up_limit_minimum) as i32;
    let (max_allowed, cond) = if max > limit {
        (limit, "ScaleUpLimit")
    } else {
        (max, "TooManyReplicas")
    };
    if desired < min {
        return (min, RateLimit::new("TooFewReplicas", None, true));
    }
    if desired > max_allowed {
        return (max_allowed, RateLimit::new(cond, Some(limit), true));
    }
    (
        desired,
        RateLimit::new("DesiredWithinRange", Some(limit), false),
    )
}

/// `storeScaleEvent`: only with a behavior; marks events older than the
/// longest policy period of that direction outdated and reuses the first such slot.
pub(crate) fn store_event(
    h: &mut History,
    up: &ResolvedRules,
    down: &ResolvedRules,
    prev: i32,
    new: i32,
    now_s: f64,
) {
    let (events, rules) = if new > prev {
        (&mut h.scale_up_events, up)
    } else {
        (&mut h.scale_down_events, down)
    };
    let longest = rules.policies.iter().map(|p| p.period_s).max().unwrap_or(0);
    for e in events.iter_mut() {
        if e.t_s < now_s - f64::from(longest) {
            e.outdated = true;
        }
    }
    let ev = TimedEvent {
        replica_change: (new - prev).abs(),
        t_s: now_s,
        outdated: false,
    };
    match events.iter_mut().find(|e| e.outdated) {
        Some(slot) => *slot = ev,
        None => events.push(ev),
    }
}

//! `[llm]`: Amazon Bedrock calls, models, strategies and limits.

use super::{Llm, Problems, ScenarioFile, TokenDist, load, non_negative};
use crate::billing::PriceBook;
use crate::model::llm::LlmPlan;

/// `llm.session_timeout_s` when unset: 8 h, the seeds' `SESSION_TIMEOUT=8h`.
pub const DEFAULT_SESSION_TIMEOUT_S: f64 = 8.0 * 3600.0;
/// The largest mean token count a call may have (Bedrock's largest context
/// windows are ~10^6 tokens).
const MAX_TOKENS: f64 = 1e7;
/// The longest idle timeout accepted: a year.
const MAX_SESSION_TIMEOUT_S: f64 = 365.0 * 86400.0;

/// Checks `[llm]`'s shares and limits.
pub(super) fn check(f: &ScenarioFile, p: &mut Problems) {
    if let Some(llm) = &f.llm {
        if !(0.0..=1.0).contains(&llm.fraction) {
            p.bad(
                "llm.fraction",
                format!("{} is not a share between 0 and 1", llm.fraction),
                None,
            );
        }
        for (k, v) in [
            ("llm.session_limit_usd", llm.session_limit_usd),
            ("llm.daily_limit_usd", llm.daily_limit_usd),
        ] {
            if let Some(v) = v
                && !non_negative(v)
            {
                p.bad(k, format!("{v} is not an amount >= 0 USD"), None);
            }
        }
    }
}

/// Resolves `[llm]` against the Bedrock prices of its region.
pub(super) fn resolve(
    f: &ScenarioFile,
    book: &PriceBook,
    p: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<LlmPlan> {
    let mut llm_plan = None;
    if let Some(l) = &f.llm {
        match resolve_llm(l, l.region.as_deref().unwrap_or(&f.region), book, warnings) {
            Ok(p) => llm_plan = Some(p),
            Err((key, m, h)) => p.bad(&key, m, h),
        }
    }
    llm_plan
}

/// The Bedrock models priced in `region` (ids without a cross-region prefix).
pub fn bedrock_models(book: &PriceBook, region: &str) -> Vec<crate::model::llm::ModelPrice> {
    use crate::model::llm::{ModelPrice, tier_of};
    let mut out: Vec<ModelPrice> = Vec::new();
    for r in book
        .rows()
        .iter()
        .filter(|r| r.service == "Bedrock" && r.region == region)
    {
        let Some((id, kind)) = r.sku.rsplit_once('/') else {
            continue;
        };
        let id = ["eu.", "us.", "apac."]
            .iter()
            .fold(id, |acc, p| acc.strip_prefix(p).unwrap_or(acc));
        let Some(tier) = tier_of(id) else { continue };
        let i = match out.iter().position(|m| m.id == id) {
            Some(i) => i,
            None => {
                out.push(ModelPrice {
                    id: id.to_string(),
                    tier,
                    input_per_1k: f64::NAN,
                    output_per_1k: 0.0,
                });
                out.len() - 1
            }
        };
        match kind {
            "input" => out[i].input_per_1k = r.price_usd,
            "output" => out[i].output_per_1k = r.price_usd,
            _ => {}
        }
    }
    out.retain(|m| m.input_per_1k.is_finite());
    out
}

type LlmProblem = (String, String, Option<String>);

fn resolve_llm(
    l: &Llm,
    region: &str,
    book: &PriceBook,
    warnings: &mut Vec<String>,
) -> Result<crate::model::llm::LlmPlan, LlmProblem> {
    use crate::model::llm::LlmPlan;
    let all = bedrock_models(book, region);
    if all.is_empty() {
        return Err((
            if l.region.is_some() {
                "llm.region"
            } else {
                "region"
            }
            .into(),
            format!(
                "no Bedrock model prices for {region} in the pricing catalogue (llm.region sets the Bedrock endpoint's region)"
            ),
            None,
        ));
    }
    let mut enabled = all.clone();
    for d in &l.disabled {
        if !all.iter().any(|m| matches(d, &m.id)) {
            warnings.push(format!(
                "llm.disabled: `{d}` is not a Bedrock model in the catalogue; nothing to disable"
            ));
        }
        enabled.retain(|m| !matches(d, &m.id));
    }
    if enabled.is_empty() {
        return Err((
            "llm.disabled".into(),
            "every model is disabled".into(),
            None,
        ));
    }
    let model = match &l.model {
        None => None,
        Some(name) => Some(find_model(name, &all, region)?),
    };
    let strategy = strategy(l, model.as_ref(), &enabled)?;
    let on_limit = on_limit(l)?;
    if let Some(r) = l.requests_per_session
        && !(r.is_finite() && r >= 1.0)
    {
        return Err((
            "llm.requests_per_session".into(),
            format!("{r} is not a mean >= 1"),
            None,
        ));
    }
    if let Some(t) = l.session_timeout_s
        && !(t.is_finite() && t > 0.0 && t <= MAX_SESSION_TIMEOUT_S)
    {
        return Err((
            "llm.session_timeout_s".into(),
            format!(
                "{t} is out of range: a session's idle timeout is more than 0 and at most {MAX_SESSION_TIMEOUT_S} seconds (a year)"
            ),
            None,
        ));
    }
    Ok(LlmPlan {
        models: enabled,
        strategy,
        fraction: l.fraction,
        tokens_in: tokens(&l.tokens_in, "llm.tokens_in")?,
        tokens_out: tokens(&l.tokens_out, "llm.tokens_out")?,
        session_limit_usd: l.session_limit_usd,
        daily_limit_usd: l.daily_limit_usd,
        on_limit,
        requests_per_session: l.requests_per_session.unwrap_or(10.0),
        session_timeout_us: crate::units::secs_to_us(
            l.session_timeout_s.unwrap_or(DEFAULT_SESSION_TIMEOUT_S),
        ),
        day_starts_us: Vec::new(),
    })
}

/// The model-choice strategy (default: `fixed` with a model, else `cheapest_always`).
fn strategy(
    l: &Llm,
    model: Option<&crate::model::llm::ModelPrice>,
    enabled: &[crate::model::llm::ModelPrice],
) -> Result<crate::model::llm::Strategy, LlmProblem> {
    use crate::model::llm::Strategy;
    const STRATEGIES: &[&str] = &[
        "fixed",
        "cheapest_always",
        "cost_optimized",
        "performance_optimized",
        "performance_only",
    ];
    let strategy_name = l.strategy.as_deref().unwrap_or(if model.is_some() {
        "fixed"
    } else {
        "cheapest_always"
    });
    Ok(match strategy_name {
        "fixed" => {
            let Some(m) = model else {
                return Err((
                    "llm.model".into(),
                    "strategy `fixed` needs a `model`".into(),
                    None,
                ));
            };
            match enabled.iter().position(|e| e.id == m.id) {
                Some(i) => Strategy::Fixed(i),
                None => return Err(("llm.model".into(), format!("`{}` is disabled", m.id), None)),
            }
        }
        "cheapest_always" => Strategy::CheapestAlways,
        "cost_optimized" => Strategy::CostOptimized(model.map_or(1, |m| m.tier)),
        "performance_optimized" | "performance_only" => Strategy::PerformanceOptimized,
        other => {
            let hint = load::nearest(other, STRATEGIES.iter().copied())
                .map(|n| format!("did you mean `{n}`?"));
            return Err((
                "llm.strategy".into(),
                format!(
                    "unknown strategy `{other}` (expected one of {})",
                    STRATEGIES.join(", ")
                ),
                hint,
            ));
        }
    })
}

/// What happens at a limit: reject (default), downgrade or alert only.
fn on_limit(l: &Llm) -> Result<crate::model::llm::OnLimit, LlmProblem> {
    use crate::model::llm::OnLimit;
    Ok(match l.on_limit.as_deref().unwrap_or("reject") {
        "reject" => OnLimit::Reject,
        "downgrade" => OnLimit::Downgrade,
        "alert_only" => OnLimit::AlertOnly,
        other => {
            return Err((
                "llm.on_limit".into(),
                format!("`{other}` is not reject, downgrade or alert_only"),
                None,
            ));
        }
    })
}

/// A token-count distribution of `[llm]`.
fn tokens(
    d: &Option<TokenDist>,
    key: &str,
) -> Result<Option<crate::model::llm::Tokens>, LlmProblem> {
    use crate::model::llm::Tokens;
    Ok(match d {
        None => None,
        Some(
            TokenDist::Constant { mean }
            | TokenDist::Exponential { mean }
            | TokenDist::Lognormal { mean, .. },
        ) if mean.is_nan() || *mean > MAX_TOKENS => {
            return Err((
                key.into(),
                format!(
                    "{} is out of range: a mean token count from 0 to {MAX_TOKENS}",
                    super::num(*mean)
                ),
                None,
            ));
        }
        Some(TokenDist::Lognormal { cv, .. }) if *cv > super::MAX_CV => {
            return Err((
                key.into(),
                format!(
                    "cv {} is out of range: a coefficient of variation from 0 to {}",
                    super::num(*cv),
                    super::MAX_CV
                ),
                None,
            ));
        }
        Some(TokenDist::Constant { mean }) if *mean >= 0.0 => Some(Tokens::Constant(*mean)),
        Some(TokenDist::Exponential { mean }) if *mean > 0.0 => Some(Tokens::Exponential(*mean)),
        Some(TokenDist::Lognormal { mean, cv }) if *mean > 0.0 && *cv > 0.0 => {
            match rand_distr::LogNormal::from_mean_cv(*mean, *cv) {
                Ok(d) => Some(Tokens::LogNormal(d)),
                Err(e) => return Err((key.into(), format!("mean {mean}, cv {cv}: {e}"), None)),
            }
        }
        Some(_) => {
            return Err((
                key.into(),
                "token counts need a mean > 0 (and cv > 0)".into(),
                None,
            ));
        }
    })
}

/// Whether a model name in the scenario names catalogue model `id` (the
/// whole id, or a part of it, in any case).
fn matches(name: &str, id: &str) -> bool {
    let n = name.to_ascii_lowercase();
    id.eq_ignore_ascii_case(&n) || id.to_ascii_lowercase().contains(&n)
}

/// The catalogue model `llm.model` names: its exact id first, else the first
/// id it is part of.
fn find_model(
    name: &str,
    all: &[crate::model::llm::ModelPrice],
    region: &str,
) -> Result<crate::model::llm::ModelPrice, LlmProblem> {
    match all
        .iter()
        .find(|m| m.id == *name)
        .or_else(|| all.iter().find(|m| matches(name, &m.id)))
    {
        Some(m) => Ok(m.clone()),
        None => {
            let hint = load::nearest(name, all.iter().map(|m| m.id.as_str()))
                .map(|n| format!("did you mean `{n}`?"));
            Err((
                "llm.model".into(),
                format!("unknown model `{name}` (not in the Bedrock catalogue for {region})"),
                hint,
            ))
        }
    }
}

//! The grid: axes (lists and ranges), points and their seeds.

use super::*;

/// One axis: a scenario key and its values (TOML value texts).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

/// Parses `key=v1,v2,…` or `key=start..end:step` (inclusive range).
pub fn parse_axis(arg: &str) -> Result<Axis, String> {
    let (key, vals) = arg
        .split_once('=')
        .ok_or_else(|| format!("`{arg}`: expected key.path=v1,v2,… or key.path=start..end:step"))?;
    let key = key.trim().to_string();
    if !vals.trim_start().starts_with(['[', '{', '"', '\''])
        && let Some((range, step)) = vals.split_once(':')
        && let Some((a, b)) = range.split_once("..")
    {
        let num = |t: &str| {
            t.trim()
                .parse::<f64>()
                .map_err(|_| format!("`{arg}`: `{t}` is not a number"))
        };
        let (a, b, st) = (num(a)?, num(b)?, num(step)?);
        if st.is_nan() || st <= 0.0 || b < a {
            return Err(format!(
                "`{arg}`: a range needs start <= end and a step > 0"
            ));
        }
        // Counted in floating point: a tiny step (1e-320) makes it infinite.
        let steps = ((b - a) / st + 1e-9).floor();
        if steps.is_nan() || steps > 100_000.0 {
            return Err(format!(
                "`{arg}`: {} values is out of range: a range gives at most 100001 values (use a larger step)",
                steps + 1.0
            ));
        }
        let n = steps as usize;
        let integral = [a, b, st].iter().all(|v| v.fract() == 0.0);
        let values = (0..=n)
            .map(|i| {
                let v = a + st * i as f64;
                if integral {
                    format!("{}", v as i64)
                } else {
                    format!("{v}")
                }
            })
            .collect();
        return Ok(Axis { key, values });
    }
    let values: Vec<String> = split_values(vals)
        .into_iter()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Err(format!("`{arg}`: no values"));
    }
    Ok(Axis { key, values })
}

/// Splits an axis's values on the commas outside lists, tables and quotes:
/// `[{ a = 1 }, { a = 2 }],[]` is two values.
fn split_values(text: &str) -> Vec<&str> {
    let (mut out, mut depth, mut quote, mut start) = (Vec::new(), 0i32, None, 0);
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            },
        }
    }
    out.push(&text[start..]);
    out
}

/// One grid point: its index and its `key=value` overrides, in axis order.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub id: usize,
    pub params: Vec<(String, String)>,
}

/// The cartesian product of the axes, the first axis varying slowest.
pub fn grid(axes: &[Axis]) -> Vec<Point> {
    let total: usize = axes.iter().map(|a| a.values.len()).product();
    (0..total)
        .map(|id| {
            let mut rest = id;
            let mut params = vec![(String::new(), String::new()); axes.len()];
            for (k, a) in axes.iter().enumerate().rev() {
                params[k] = (a.key.clone(), a.values[rest % a.values.len()].clone());
                rest /= a.values.len();
            }
            Point { id, params }
        })
        .collect()
}

/// The seed of one replication of a point: from the run seed and the point's
/// parameters (not its index or the thread), so results are reproducible.
pub fn point_seed(run_seed: u64, point: &Point, replication: u32) -> u64 {
    let mut h = mix64(run_seed);
    for (k, v) in &point.params {
        h = mix64(h ^ crate::rng::fnv1a(k.as_bytes()));
        h = mix64(h ^ crate::rng::fnv1a(v.as_bytes()));
    }
    mix64(h ^ u64::from(replication))
}

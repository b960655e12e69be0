//! Scenarios key by key: every effective setting, and the differences.

use super::ScenarioFile;
use std::collections::BTreeMap;

/// Every effective setting of a scenario (defaults included) as `key.path -> value`.
pub fn flatten(file: &ScenarioFile) -> BTreeMap<String, String> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, v, out);
                }
            }
            toml::Value::Array(a) if a.iter().any(|x| x.is_table()) => {
                for (i, v) in a.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), v, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(v) = toml::Value::try_from(file) {
        walk("", &v, &mut out);
    }
    out.remove("extends");
    out
}

/// Key-by-key differences: `(key, value in a, value in b)`, `None` where unset.
pub fn diff(a: &ScenarioFile, b: &ScenarioFile) -> Vec<(String, Option<String>, Option<String>)> {
    let fa = flatten(a);
    let fb = flatten(b);
    let mut keys: Vec<&String> = fa.keys().chain(fb.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (va, vb) = (fa.get(k).cloned(), fb.get(k).cloned());
            (va != vb).then(|| (k.clone(), va, vb))
        })
        .collect()
}

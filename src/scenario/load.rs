//! Layered loading: built-in defaults < scenario file (with `extends`) <
//! `MESHSIM_*` environment variables < `--set key.path=value`. Merging works on
//! TOML tables; the merged table is then deserialised strictly, and every
//! problem is reported with the layer (file, variable or flag), the key path,
//! the line where the file sets it, and a "did you mean" where one is close.

use super::builtin;
use super::schema::ScenarioFile;
use std::fmt;
use std::path::{Path, PathBuf};

/// One problem found in a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Where the offending value came from: a file path, `--set …`, `MESHSIM_…`,
    /// or `built-in default`.
    pub origin: String,
    pub line: Option<usize>,
    /// Dotted key path (`scaling.min`), empty for file-level problems.
    pub key: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": key `{}`", self.key)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

/// All problems of one scenario, reported together.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the scenario is not valid ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.0 {
            writeln!(f, "  - {d}")?;
        }
        Ok(())
    }
}

/// A source of settings, lowest priority first in [`Loaded::layers`].
#[derive(Clone, Debug)]
pub struct Layer {
    pub origin: String,
    pub table: toml::Table,
    /// The file's text, for line numbers.
    pub text: Option<String>,
}

/// A scenario merged from its layers and deserialised (not yet validated).
#[derive(Clone, Debug)]
pub struct Loaded {
    pub name: String,
    /// The file (or `built-in:NAME`) the scenario came from.
    pub origin: String,
    pub layers: Vec<Layer>,
    pub merged: toml::Table,
    pub file: ScenarioFile,
}

/// Where to find a scenario named on the command line.
#[derive(Clone, Debug)]
pub struct Located {
    pub name: String,
    pub origin: String,
    pub text: String,
    /// Folder that relative paths inside the scenario resolve against.
    pub dir: Option<PathBuf>,
}

fn looks_like_path(spec: &str) -> bool {
    spec.ends_with(".toml") || spec.contains('/') || spec.contains('\\')
}

/// Finds a scenario by name (`./scenarios/NAME.toml`, then built-in) or path.
pub fn locate(spec: &str, relative_to: Option<&Path>) -> Result<Located, Diagnostic> {
    let from_path = |p: PathBuf| -> Result<Located, Diagnostic> {
        let text = std::fs::read_to_string(&p).map_err(|e| Diagnostic {
            origin: p.display().to_string(),
            line: None,
            key: String::new(),
            message: format!("cannot read the scenario file: {e}"),
            hint: None,
        })?;
        Ok(Located {
            name: p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            origin: p.display().to_string(),
            text,
            dir: p.parent().map(Path::to_path_buf),
        })
    };
    if looks_like_path(spec) {
        let p = match relative_to {
            Some(dir) if Path::new(spec).is_relative() => dir.join(spec),
            _ => PathBuf::from(spec),
        };
        return from_path(p);
    }
    let local = Path::new("scenarios").join(format!("{spec}.toml"));
    if local.is_file() {
        return from_path(local);
    }
    if let Some(text) = builtin::get(spec) {
        return Ok(Located {
            name: spec.to_string(),
            origin: format!("built-in:{spec}"),
            text: text.to_string(),
            dir: None,
        });
    }
    let names = builtin::names();
    let hint = nearest(spec, names.iter().copied()).map(|n| format!("did you mean `{n}`?"));
    Err(Diagnostic {
        origin: spec.to_string(),
        line: None,
        key: String::new(),
        message: format!(
            "no scenario of this name in ./scenarios/ or among the built-ins ({}); pass a path to a .toml file to use another",
            names.join(", ")
        ),
        hint,
    })
}

/// The candidate closest to `word` if it is close enough to be a typo.
pub fn nearest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let s = strsim::jaro_winkler(word, c);
        if s > 0.8 && best.is_none_or(|(b, _)| s > b) {
            best = Some((s, c));
        }
    }
    best.map(|(_, c)| c)
}

fn parse_file(located: &Located) -> Result<toml::Table, Diagnostic> {
    located.text.parse::<toml::Table>().map_err(|e| Diagnostic {
        origin: located.origin.clone(),
        line: e.span().map(|s| line_of(&located.text, s.start)),
        key: String::new(),
        message: format!("not valid TOML: {}", e.message().trim()),
        hint: None,
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Reads a scenario and everything it `extends`, lowest layer first.
fn file_layers(located: Located, chain: &mut Vec<String>) -> Result<Vec<Layer>, Diagnostic> {
    if chain.contains(&located.origin) {
        return Err(Diagnostic {
            origin: located.origin.clone(),
            line: None,
            key: "extends".into(),
            message: format!(
                "`extends` forms a cycle: {} -> {}",
                chain.join(" -> "),
                located.origin
            ),
            hint: None,
        });
    }
    chain.push(located.origin.clone());
    let mut table = parse_file(&located)?;
    let mut layers = Vec::new();
    if let Some(parent) = table.remove("extends") {
        let Some(parent_spec) = parent.as_str() else {
            return Err(Diagnostic {
                origin: located.origin.clone(),
                line: key_line(&located.text, "extends"),
                key: "extends".into(),
                message: "expected the name of a scenario or a path to a .toml file".into(),
                hint: None,
            });
        };
        let parent = locate(parent_spec, located.dir.as_deref()).map_err(|mut d| {
            d.origin = located.origin.clone();
            d.key = "extends".into();
            d.line = key_line(&located.text, "extends");
            d
        })?;
        layers = file_layers(parent, chain)?;
    }
    layers.push(Layer {
        origin: located.origin,
        table,
        text: Some(located.text),
    });
    Ok(layers)
}

/// Deep merge: tables merge key by key (except a table naming its `dist`,
/// which replaces the one below whole); a table whose keys are indices
/// changes the items of a list below (`--set scaling.hpa.metrics.0.….=60`);
/// anything else is replaced.
pub fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Array(items)), toml::Value::Table(o))
                if o.keys()
                    .all(|i| i.parse::<usize>().is_ok_and(|i| i < items.len())) =>
            {
                for (i, patch) in o {
                    let item = &mut items[i.parse::<usize>().expect("checked")];
                    match (item, patch) {
                        (toml::Value::Table(t), toml::Value::Table(p)) => merge(t, p),
                        (item, p) => *item = p.clone(),
                    }
                }
            }
            // A table that names its distribution (`{ dist = "uniform", ... }`:
            // service times, provisioning delays, token counts) is complete:
            // it replaces the one below instead of inheriting its keys (a
            // lognormal's `cv` would be a stray key of a uniform).
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) if !o.contains_key("dist") => {
                merge(b, o)
            }
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Parses the value of `--set key=value` or an environment override: any TOML
/// value (`2`, `0.5`, `true`, `"x"`, `[1, 2]`, `{ dist = "constant", mean_ms = 5 }`),
/// or else a bare string.
pub fn parse_value(text: &str) -> toml::Value {
    let doc = format!("v = {text}");
    match doc.parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or(toml::Value::String(text.into())),
        Err(_) => toml::Value::String(text.to_string()),
    }
}

/// A one-key layer setting `path` (dotted) to `value`.
pub fn override_layer(origin: String, path: &str, value: toml::Value) -> Result<Layer, Diagnostic> {
    let parts: Vec<&str> = path.split('.').collect();
    if path.is_empty() || parts.iter().any(|p| p.is_empty()) {
        return Err(Diagnostic {
            origin,
            line: None,
            key: path.into(),
            message: "expected a dotted key path such as `scaling.min`".into(),
            hint: None,
        });
    }
    let mut table = toml::Table::new();
    let mut cur = &mut table;
    for p in &parts[..parts.len() - 1] {
        cur = cur
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .expect("freshly inserted table");
    }
    cur.insert(parts[parts.len() - 1].to_string(), value);
    Ok(Layer {
        origin,
        table,
        text: None,
    })
}

/// Turns `MESHSIM_*` variables into layers: `MESHSIM_SCALING__MIN=2` sets
/// `scaling.min` (double underscore between keys, lower-cased).
pub fn env_layers(vars: &[(String, String)]) -> Result<Vec<Layer>, Diagnostic> {
    let mut out = Vec::new();
    for (k, v) in vars {
        let Some(rest) = k.strip_prefix("MESHSIM_") else {
            continue;
        };
        let path = rest.to_ascii_lowercase().replace("__", ".");
        out.push(override_layer(
            format!("environment variable {k}"),
            &path,
            parse_value(v),
        )?);
    }
    Ok(out)
}

/// Turns `--set key.path=value` arguments into layers.
pub fn set_layers(sets: &[String]) -> Result<Vec<Layer>, Diagnostic> {
    sets.iter()
        .map(|s| {
            let Some((k, v)) = s.split_once('=') else {
                return Err(Diagnostic {
                    origin: format!("--set {s}"),
                    line: None,
                    key: String::new(),
                    message: "expected key.path=value".into(),
                    hint: None,
                });
            };
            override_layer(format!("--set {s}"), k.trim(), parse_value(v.trim()))
        })
        .collect()
}

/// Loads `spec` with its `extends` chain and the given overrides.
pub fn load(spec: &str, env: &[(String, String)], sets: &[String]) -> Result<Loaded, Diagnostics> {
    let one = |d: Diagnostic| Diagnostics(vec![d]);
    let located = locate(spec, None).map_err(one)?;
    let name = located.name.clone();
    let origin = located.origin.clone();
    let mut layers = file_layers(located, &mut Vec::new()).map_err(one)?;
    layers.extend(env_layers(env).map_err(one)?);
    layers.extend(set_layers(sets).map_err(one)?);
    let mut merged = toml::Table::new();
    for l in &layers {
        merge(&mut merged, &l.table);
    }
    let file: ScenarioFile = serde_path_to_error::deserialize(toml::Value::Table(merged.clone()))
        .map_err(|e| {
        let key = e.path().to_string();
        // serde's message without its own "in `key`" line (the diagnostic names the key).
        let message = e
            .inner()
            .to_string()
            .lines()
            .filter(|l| !l.starts_with("in `"))
            .collect::<Vec<_>>()
            .join("\n");
        let hint = typo_hint(&message).or_else(|| unit_hint(&key, &message));
        let mut d = locate_key(&layers, &key);
        d.message = message;
        d.hint = hint;
        Diagnostics(vec![d])
    })?;
    let name = file.name.clone().unwrap_or(name);
    Ok(Loaded {
        name,
        origin,
        layers,
        merged,
        file,
    })
}

/// "did you mean" for serde's unknown-field and unknown-variant messages,
/// whose first back-quoted word is the unknown one and the rest the choices.
fn typo_hint(message: &str) -> Option<String> {
    if !message.starts_with("unknown field") && !message.starts_with("unknown variant") {
        return None;
    }
    let words: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let (bad, choices) = words.split_first()?;
    nearest(bad, choices.iter().copied()).map(|n| format!("did you mean `{n}`?"))
}

/// The unit of a key named after it (`timeout_ms`), and how to write the value
/// when a string such as `"30s"` was given where a number is expected.
fn unit_hint(key: &str, message: &str) -> Option<String> {
    let field = key.rsplit('.').next().unwrap_or(key);
    let units: &[(&str, &str, f64)] = &[
        ("_ms", "a number of milliseconds", 1e-3),
        ("_s", "a number of seconds", 1.0),
        ("_h", "a number of hours", 3600.0),
        ("_pct", "a percentage (a number)", f64::NAN),
        ("_usd", "an amount in US dollars (a number)", f64::NAN),
        ("_mb", "a number of mebibytes", f64::NAN),
        ("_gb", "a number of gigabytes", f64::NAN),
    ];
    let (_, unit, secs) = units
        .iter()
        .find(|(suffix, _, _)| field.ends_with(suffix))?;
    if !message.starts_with("invalid type") {
        return None;
    }
    // A duration written with a unit: convert it for the user.
    let given = message.split('"').nth(1);
    let example = match given.map(crate::units::parse_duration_secs) {
        Some(Ok(v))
            if secs.is_finite()
                && given.is_some_and(|g| g.trim_end().ends_with(['s', 'm', 'h', 'd'])) =>
        {
            let n = v / secs;
            format!(
                ": write {field} = {}",
                if n.fract() == 0.0 {
                    format!("{n:.0}")
                } else {
                    format!("{n}")
                }
            )
        }
        _ => String::new(),
    };
    Some(format!(
        "`{field}` is {unit} (the unit is in the key's name), written without quotes or a unit{example}"
    ))
}

/// A diagnostic pointing at the layer that set `key` (highest layer first),
/// with the line in that layer's file.
pub fn locate_key(layers: &[Layer], key: &str) -> Diagnostic {
    let segments = split_path(key);
    for l in layers.iter().rev() {
        if table_has(&l.table, &segments) {
            return Diagnostic {
                origin: l.origin.clone(),
                line: l.text.as_deref().and_then(|t| path_line(t, &segments)),
                key: key.into(),
                message: String::new(),
                hint: None,
            };
        }
    }
    // A default inside an element of an array of tables (a node group's
    // `desired`): the element the file wrote is where to look.
    if let Some(n) = segments.iter().rposition(|s| matches!(s, Seg::Index(_))) {
        let element = &segments[..=n];
        for l in layers.iter().rev() {
            if table_has(&l.table, element) {
                return Diagnostic {
                    origin: l.origin.clone(),
                    line: l.text.as_deref().and_then(|t| path_line(t, element)),
                    key: key.into(),
                    message: String::new(),
                    hint: None,
                };
            }
        }
    }
    Diagnostic {
        origin: layers
            .last()
            .map(|l| l.origin.clone())
            .unwrap_or_else(|| "scenario".into()),
        line: None,
        key: key.into(),
        message: String::new(),
        hint: Some("the value is a built-in default".into()),
    }
    .with_default_origin()
}

impl Diagnostic {
    fn with_default_origin(mut self) -> Self {
        if self.hint.as_deref() == Some("the value is a built-in default") {
            self.hint = None;
            self.origin = format!("{} (built-in default)", self.origin);
        }
        self
    }
}

#[derive(Debug, PartialEq)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn split_path(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty() && *p != "?") {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            if i > 0 {
                out.push(Seg::Key(&rest[..i]));
            }
            rest = &rest[i..];
            // `[N]` groups, one after another; anything else ends them.
            while let Some((inside, after)) = rest.strip_prefix('[').and_then(|r| r.split_once(']'))
            {
                if let Ok(n) = inside.parse() {
                    out.push(Seg::Index(n));
                }
                rest = after;
            }
        } else {
            out.push(Seg::Key(rest));
        }
    }
    out
}

fn table_has(table: &toml::Table, segs: &[Seg<'_>]) -> bool {
    let mut cur: Option<&toml::Value> = None;
    for (i, s) in segs.iter().enumerate() {
        let next = match (i, s, cur) {
            (0, Seg::Key(k), _) => table.get(*k),
            (_, Seg::Key(k), Some(toml::Value::Table(t))) => t.get(*k),
            (_, Seg::Index(n), Some(toml::Value::Array(a))) => a.get(*n),
            _ => None,
        };
        match next {
            Some(v) => cur = Some(v),
            None => return false,
        }
    }
    !segs.is_empty()
}

fn key_line(text: &str, key: &str) -> Option<usize> {
    path_line(text, &split_path(key))
}

/// The line of the deepest part of `segs` that the file's text defines.
fn path_line(text: &str, segs: &[Seg<'_>]) -> Option<usize> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut table: &DeTable<'_> = doc.get_ref();
    let mut array: Option<&toml::de::DeArray<'_>> = None;
    let mut line = None;
    for s in segs {
        let value = match s {
            Seg::Key(k) => {
                let (key, value) = table.iter().find(|(key, _)| key.get_ref() == k)?;
                line = Some(line_of(text, key.span().start));
                value
            }
            Seg::Index(n) => {
                let v = array?.get(*n)?;
                line = Some(line_of(text, v.span().start));
                v
            }
        };
        match value.get_ref() {
            DeValue::Table(t) => {
                table = t;
                array = None;
            }
            DeValue::Array(a) => array = Some(a),
            _ => break,
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_nested_keys() {
        let text = "name = \"x\"\n\n[scaling]\nmin = 1\nmax = 3\n\n[[scaling.schedule]]\ncron = \"0 8 * * *\"\n";
        assert_eq!(path_line(text, &split_path("scaling.max")), Some(5));
        assert_eq!(
            path_line(text, &split_path("scaling.schedule[0].cron")),
            Some(8)
        );
    }

    #[test]
    fn set_values_parse_as_toml_or_string() {
        assert_eq!(parse_value("3"), toml::Value::Integer(3));
        assert_eq!(parse_value("0.5"), toml::Value::Float(0.5));
        assert_eq!(parse_value("ec2"), toml::Value::String("ec2".into()));
        assert_eq!(parse_value("\"a b\""), toml::Value::String("a b".into()));
    }

    #[test]
    fn hints_for_typos() {
        assert_eq!(
            typo_hint("unknown field `concurency`, expected one of `concurrency`, `service_time`")
                .as_deref(),
            Some("did you mean `concurrency`?")
        );
        assert_eq!(typo_hint("invalid type: string"), None);
    }

    #[test]
    fn env_overrides_use_double_underscore_for_nesting() {
        let l = env_layers(&[
            ("MESHSIM_SCALING__MIN".into(), "2".into()),
            ("HOME".into(), "/".into()),
        ])
        .unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].table["scaling"]["min"], toml::Value::Integer(2));
    }
}

//! The command line: the only module that reads argv, the environment, the
//! working directory and the wall clock, and the one that decides where
//! files go. `args` declares the commands; `runs`, `sweeps` and `inspect`
//! carry them out.

pub mod args;
mod explain;
mod inspect;
mod progress;
mod runs;
mod sweeps;

pub use args::*;
pub use inspect::load_hpa;

use crate::billing::PriceBook;
use anyhow::Result;
use inspect::*;
use runs::*;
use std::path::PathBuf;
use sweeps::*;

/// Exit status: the command could not do its work (bad input, a file that
/// cannot be read or written); the message on stderr names what and the fix.
pub const EXIT_ERROR: i32 = 1;
/// Exit status: the command line itself is wrong (unknown flag, missing
/// argument), as clap reports it.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: `compare --check` found a head that misses the SLO the base
/// meets, or costs more than `--max-cost-increase` allows.
pub const EXIT_CHECK_FAILED: i32 = 3;

/// Runs the command line; returns the exit status.
pub fn main() -> i32 {
    use clap::{CommandFactory, FromArgMatches};
    // meshsim's own output has no colour; clap's help and errors are coloured
    // on a terminal, never with NO_COLOR set (https://no-color.org: present
    // and not empty), always with CLICOLOR_FORCE (unless NO_COLOR).
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    let color = if set("NO_COLOR") {
        clap::ColorChoice::Never
    } else if set("CLICOLOR_FORCE") {
        clap::ColorChoice::Always
    } else {
        clap::ColorChoice::Auto
    };
    let parsed = Cli::command()
        .color(color)
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { 0 };
        }
    };
    match dispatch(cli) {
        Ok(()) => 0,
        Err(e) => {
            let mut msg = format!("error: {e}");
            for cause in e.chain().skip(1) {
                msg.push_str(&format!("\n  caused by: {cause}"));
            }
            eprintln!("{}", msg.trim_end());
            if e.downcast_ref::<GateFailed>().is_some() {
                EXIT_CHECK_FAILED
            } else {
                EXIT_ERROR
            }
        }
    }
}

fn env_overrides() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("MESHSIM_"))
        .collect();
    v.sort();
    v
}

fn dispatch(cli: Cli) -> Result<()> {
    let book = PriceBook::builtin();
    let max_requests = match &cli.command {
        Command::Run(a) => a.run.max_requests,
        Command::Compare(a) => a.run.max_requests,
        Command::Gallery(a) => a.run.max_requests,
        Command::Sweep(a) => a.max_requests,
        Command::Plan(a) => a.max_requests,
        Command::Explain(a) => a.max_requests,
        _ => None,
    };
    if let Some(n) = max_requests {
        crate::run::set_max_requests(n);
    }
    match cli.command {
        Command::Run(mut args) => {
            args.set
                .extend(args.trace_scale.take().map(|v| format!("trace_scale={v}")));
            run(args, &book)
        }
        Command::Compare(mut args) => {
            args.set
                .extend(args.trace_scale.take().map(|v| format!("trace_scale={v}")));
            compare(args, &book)
        }
        Command::Gallery(args) => gallery(args, &book),
        Command::Sweep(mut args) => {
            args.set
                .extend(args.trace_scale.take().map(|v| format!("trace_scale={v}")));
            sweep(args, &book)
        }
        Command::Plan(mut args) => {
            args.vary
                .extend(args.trace_scale.take().map(|v| format!("trace_scale={v}")));
            plan(args, &book)
        }
        Command::Merge(args) => merge(args),
        Command::Pricing(args) => pricing(args, &book),
        Command::Explain(a) => explain::explain(a, &book),
        Command::Hpa(HpaCommand::Explain(a)) => hpa_explain(&a.hpa, &a.state, a.name.as_deref()),
        Command::Vpa(VpaCommand::Explain(a)) => vpa_explain(&a),
        Command::Trace(TraceCommand::Gen(args)) => trace_gen(args),
        Command::Trace(TraceCommand::Info(args)) => trace_info(args),
        Command::Trace(TraceCommand::Import(args)) => trace_import(args),
        Command::Trace(TraceCommand::Transform(args)) => trace_transform(args),
        Command::Scenario(ScenarioCommand::Import(args)) => scenario_import(args, &book),
        Command::Scenarios => list_scenarios(),
        Command::Validate(args) => validate(args, &book),
        Command::Diff(args) => diff(args),
        Command::Completions { shell } => {
            // Into a buffer first: clap_complete panics on a failed write.
            let mut buf = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "meshsim",
                &mut buf,
            );
            std::io::Write::write_all(&mut std::io::stdout(), &buf)?;
            Ok(())
        }
        Command::Man { out } => man(out.as_deref()),
    }
}

/// `meshsim man`: the man page of meshsim on stdout, or with `--out DIR` one
/// page per command (`meshsim.1`, `meshsim-run.1`, …) written there.
fn man(out: Option<&std::path::Path>) -> Result<()> {
    use anyhow::Context;
    use clap::CommandFactory;
    let cmd = Cli::command();
    let Some(dir) = out else {
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut buf)?;
        std::io::Write::write_all(&mut std::io::stdout(), &buf)?;
        return Ok(());
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut pages = vec![("meshsim.1".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands() {
        let name = format!("meshsim-{}", sub.get_name());
        // clap names are `&'static str`; this process ends right after.
        let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
        pages.push((format!("{name}.1"), sub.clone().name(leaked)));
        for subsub in sub.get_subcommands() {
            let name = format!("meshsim-{}-{}", sub.get_name(), subsub.get_name());
            let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
            pages.push((format!("{name}.1"), subsub.clone().name(leaked)));
        }
    }
    for (file, c) in pages {
        let mut buf = Vec::new();
        clap_mangen::Man::new(c).render(&mut buf)?;
        crate::report::write_file_atomically(&dir.join(&file), buf)
            .with_context(|| format!("cannot write {}", dir.join(&file).display()))?;
    }
    Ok(())
}

/// A scenario's and a trace's short names (file stems).
fn names(scenario: &str, trace: &std::path::Path) -> (String, String) {
    let stem = |p: &std::path::Path| p.file_stem().map(|s| s.to_string_lossy().into_owned());
    (
        stem(std::path::Path::new(scenario)).unwrap_or_else(|| scenario.to_string()),
        stem(trace).unwrap_or_default(),
    )
}

/// `reports/<kind>-<scenario>-<trace>/`.
fn default_out(kind: &str, scenario: &str, trace: &std::path::Path) -> PathBuf {
    let (sc, tr) = names(scenario, trace);
    PathBuf::from("reports").join(format!("{kind}-{sc}-{tr}"))
}

/// A rayon pool of `jobs` threads (all cores when `None`).
fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(j) = jobs {
        pool = pool.num_threads(j.max(1));
    }
    Ok(pool.build()?)
}

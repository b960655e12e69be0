//! The command line: the only module that reads argv, the environment, the
//! working directory and the wall clock, and the one that decides where
//! files go. `args` declares the commands; `runs`, `sweeps` and `inspect`
//! carry them out.

pub mod args;
mod inspect;
mod runs;
mod sweeps;

pub use args::*;
pub use inspect::load_hpa;

use crate::billing::PriceBook;
use anyhow::Result;
use clap::Parser;
use inspect::*;
use runs::*;
use std::path::PathBuf;
use sweeps::*;

/// Runs the command line; returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
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
            1
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
    match cli.command {
        Command::Run(args) => run(args, &book),
        Command::Compare(args) => compare(args, &book),
        Command::Gallery(args) => gallery(args, &book),
        Command::Sweep(args) => sweep(args, &book),
        Command::Plan(args) => plan(args, &book),
        Command::Merge(args) => merge(args),
        Command::Pricing(args) => pricing(args, &book),
        Command::Hpa(HpaCommand::Explain(a)) => hpa_explain(&a.hpa, &a.state, a.name.as_deref()),
        Command::Trace(TraceCommand::Gen(args)) => trace_gen(args),
        Command::Trace(TraceCommand::Info(args)) => trace_info(args),
        Command::Scenarios => list_scenarios(),
        Command::Validate(args) => validate(args, &book),
        Command::Diff(args) => diff(args),
    }
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

//! Killed mid-write (issue 17): `run`, `sweep` and `gallery` started as
//! child processes and killed with SIGKILL at 20 seeded moments each leave
//! no output folder, and no sweep point, that looks complete unless it is
//! whole and identical to an uninterrupted run's; running again finishes
//! with the uninterrupted run's files, byte for byte, and removes what the
//! killed process left under temporary names (src/report/atomic.rs).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KILLS: usize = 20;

/// Every file under `dir`, by path relative to it.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

fn is_temporary(name: &str) -> bool {
    name.contains(".tmp-") || name.contains(".partial-") || name.contains(".old-")
}

fn meshsim_child(args: &[&str], dir: &Path) -> std::process::Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_meshsim"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("MESHSIM_")) {
        c.env_remove(k);
    }
    c.args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("meshsim starts")
}

fn finish(args: &[&str], dir: &Path) -> Duration {
    let start = Instant::now();
    let status = meshsim_child(args, dir).wait().unwrap();
    assert!(status.success(), "{args:?}");
    start.elapsed()
}

/// Kill moments: fractions of the uninterrupted run's time in [0, 1.2),
/// from a fixed-seed generator (SplitMix64), so some kills come after the
/// end and the command's own finish is part of what is checked.
fn moments(seed: u64, n: usize, took: Duration) -> Vec<Duration> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            took.mul_f64(1.2 * (z >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

/// Runs `args` (writing `out`, compared by `complete`) uninterrupted once,
/// then KILLS times killed at seeded moments, each followed by a check and
/// a run to the end.
fn survives_kills(
    args: &[&str],
    out: &str,
    seed: u64,
    check_killed: impl Fn(&BTreeMap<String, Vec<u8>>, &BTreeMap<String, Vec<u8>>) -> Result<(), String>,
) {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/peak.csv"),
        d.join("full.csv"),
    )
    .unwrap();
    // The first two hours of the shipped trace: short runs, many kills.
    let text = std::fs::read_to_string(d.join("full.csv")).unwrap();
    let two_hours: String = text.lines().take(121).map(|l| format!("{l}\n")).collect();
    std::fs::write(d.join("t.csv"), two_hours).unwrap();
    // The reference: uninterrupted, in a folder of its own.
    let reference_dir = d.join("reference");
    std::fs::create_dir(&reference_dir).unwrap();
    std::fs::copy(d.join("t.csv"), reference_dir.join("t.csv")).unwrap();
    let mut took = finish(args, &reference_dir);
    let reference = tree(&reference_dir.join(out));
    // The shortest of three uninterrupted runs: the first may be slowed by
    // a cold cache or a busy machine, and kill moments past the usual end
    // test little.
    for k in 0..2 {
        let again = d.join(format!("timing-{k}"));
        std::fs::create_dir(&again).unwrap();
        std::fs::copy(d.join("t.csv"), again.join("t.csv")).unwrap();
        took = took.min(finish(args, &again));
    }
    assert!(!reference.is_empty());
    let mut killed_running = 0;
    for (i, at) in moments(seed, KILLS, took).into_iter().enumerate() {
        let mut child = meshsim_child(args, d);
        std::thread::sleep(at);
        let was_running = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        killed_running += usize::from(was_running);
        let left = tree(&d.join(out));
        let complete: BTreeMap<_, _> = left
            .iter()
            .filter(|(k, _)| !is_temporary(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Err(why) = check_killed(&complete, &reference) {
            panic!("{args:?} killed after {at:?} (kill {i}): {why}");
        }
        finish(args, d);
        let again = tree(&d.join(out));
        assert!(
            again == reference,
            "{args:?}: the run after kill {i} (at {at:?}) differs from an uninterrupted run: {:?}",
            again
                .keys()
                .filter(|k| again.get(*k) != reference.get(*k))
                .chain(reference.keys().filter(|k| !again.contains_key(*k)))
                .collect::<Vec<_>>()
        );
        // What the killed process left under temporary names is gone.
        let leftovers: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| is_temporary(n))
            .collect();
        assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
        // The next kill starts from nothing, as the first did.
        std::fs::remove_dir_all(d.join(out)).unwrap();
    }
    // Kills must land while the command runs, or the test tests little
    // (wall-clock moments: a quarter is a margin for a loaded machine).
    assert!(
        killed_running >= KILLS / 4,
        "{args:?}: only {killed_running} of {KILLS} kills came before the end ({took:?} uninterrupted)"
    );
}

/// A run or gallery folder is there whole and equal to the reference, or
/// not at all.
fn whole_or_absent(
    left: &BTreeMap<String, Vec<u8>>,
    reference: &BTreeMap<String, Vec<u8>>,
) -> Result<(), String> {
    if left.is_empty() || left == reference {
        Ok(())
    } else {
        Err(format!(
            "a folder that is neither absent nor whole: {} of {} files",
            left.len(),
            reference.len()
        ))
    }
}

#[test]
fn run_survives_kills() {
    survives_kills(
        &["run", "steady", "--trace", "t.csv", "--out", "out", "-q"],
        "out",
        17,
        whole_or_absent,
    );
}

#[test]
fn gallery_survives_kills() {
    survives_kills(
        &[
            "gallery",
            "--trace",
            "t.csv",
            "--out",
            "out",
            "-q",
            "--no-charts",
        ],
        "out",
        18,
        whole_or_absent,
    );
}

#[test]
fn sweep_survives_kills() {
    survives_kills(
        &[
            "sweep",
            "steady",
            "--trace",
            "t.csv",
            "--out",
            "out",
            "--quiet",
            "--set",
            "scaling.min=1,2,3",
            "--set",
            "service.concurrency=2,4",
        ],
        "out",
        19,
        |left, reference| {
            // A sweep fills its folder point by point: every point file there
            // is whole (equal to the reference's), and the results exist only
            // when the sweep finished.
            for (k, v) in left {
                if k.starts_with("points") && reference.get(k) != Some(v) {
                    return Err(format!("point file {k} is not whole"));
                }
            }
            if left.contains_key("results.csv") && left != reference {
                return Err("results.csv written before the sweep's other files".into());
            }
            Ok(())
        },
    );
}

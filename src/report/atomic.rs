//! Writing that a reader never sees half done: a file written under a
//! temporary name and renamed, a directory filled under a temporary name and
//! renamed. Every output of meshsim is written through here, so a process
//! killed at any moment (SIGKILL, Ctrl-C, a node lost) leaves either the
//! previous output, whole, or nothing under the output's name; what it
//! leaves under temporary names is removed by the next write beside it.

use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` whole or not at all.
pub fn write_file_atomically(path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Fills `dir` through `fill`, atomically: the files go to a temporary
/// sibling folder that replaces `dir` only when `fill` succeeded, so that a
/// crash or an error never leaves a half-written folder that looks whole.
/// A folder already at `dir` is moved aside (one rename) before the new one
/// takes its place, and deleted after: never half deleted under its name.
pub fn write_dir_atomically(
    dir: &Path,
    fill: impl FnOnce(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    remove_stale_temporaries(parent);
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let pid = std::process::id();
    let tmp: PathBuf = parent.join(format!(".{name}.partial-{pid}"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir(&tmp)?;
    if let Err(e) = fill(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let old = parent.join(format!(".{name}.old-{pid}"));
    let replaced = dir.exists();
    if replaced {
        std::fs::rename(dir, &old)?;
    }
    std::fs::rename(&tmp, dir)?;
    if replaced {
        std::fs::remove_dir_all(&old)?;
    }
    Ok(())
}

/// Removes what a killed meshsim left in `dir` under temporary names
/// (`.NAME.partial-PID`, `.NAME.old-PID`, `NAME.tmp-PID`) when process PID
/// is no longer running. Only where that can be told (Linux's /proc);
/// elsewhere they stay, hidden or named as temporaries. Best effort: a
/// temporary that cannot be removed is left.
pub fn remove_stale_temporaries(dir: &Path) {
    let proc_fs = Path::new("/proc/self");
    if !proc_fs.exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = temporary_pid(&name) else {
            continue;
        };
        if pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        let p = e.path();
        let _ = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
    }
}

/// The PID in a temporary's name, if `name` is one.
fn temporary_pid(name: &str) -> Option<u32> {
    let (stem, pid) = name.rsplit_once('-')?;
    let pid: u32 = pid.parse().ok()?;
    let dot_dir = name.starts_with('.') && (stem.ends_with(".partial") || stem.ends_with(".old"));
    (dot_dir || stem.ends_with(".tmp")).then_some(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_are_told_by_name() {
        assert_eq!(temporary_pid(".run.partial-123"), Some(123));
        assert_eq!(temporary_pid(".run.old-7"), Some(7));
        assert_eq!(temporary_pid("p00001.tmp-42"), Some(42));
        assert_eq!(temporary_pid("results.csv"), None);
        assert_eq!(temporary_pid("run.partial-12"), None);
        assert_eq!(temporary_pid("cost-optimized-peak"), None);
        assert_eq!(temporary_pid(".tmp-x"), None);
    }

    #[test]
    fn a_dead_writers_temporaries_are_removed_and_live_ones_kept() {
        let d = tempfile::tempdir().unwrap();
        // PID 0 is never a process's (and /proc/0 does not exist); our own
        // PID is alive.
        std::fs::create_dir(d.path().join(".out.partial-0")).unwrap();
        std::fs::write(d.path().join("a.tmp-0"), "x").unwrap();
        let mine = format!("b.tmp-{}", std::process::id());
        std::fs::write(d.path().join(&mine), "x").unwrap();
        std::fs::write(d.path().join("keep.csv"), "x").unwrap();
        remove_stale_temporaries(d.path());
        let mut left: Vec<String> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let expected = if Path::new("/proc/self").exists() {
            vec![mine, "keep.csv".to_string()]
        } else {
            vec![
                ".out.partial-0".into(),
                "a.tmp-0".into(),
                mine,
                "keep.csv".into(),
            ]
        };
        let mut expected = expected;
        expected.sort();
        assert_eq!(left, expected);
    }
}

//! Writing that a reader never sees half done: a file written under a
//! temporary name and renamed, a directory filled under a temporary name and
//! renamed. Every output of meshsim is written through here.

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
pub fn write_dir_atomically(
    dir: &Path,
    fill: impl FnOnce(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let tmp: PathBuf = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir(&tmp)?;
    if let Err(e) = fill(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::rename(&tmp, dir)
}

//! The folder walk and the file reads: regular files only, each file and all of them together
//! bounded, and no folder walked twice (a symbolic link back up the tree, `ln -s . x`, ends
//! the walk there instead of looping).

use std::collections::BTreeSet;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::limits::{MAX_ENTRIES, MAX_FILE_BYTES, MAX_TOTAL_BYTES};
use crate::InfraError;

/// Bytes read so far by one `check-infra` run.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    bytes: u64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InfraError + '_ {
    move |source| InfraError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Every file under `dir` whose extension is one of `extensions`, sorted by path, with its
/// text. Hidden folders (`.terraform`) are skipped. `what` names the kind for an empty folder.
pub(crate) fn read_all(
    dir: &Path,
    extensions: &[&str],
    what: &'static str,
    budget: &mut Budget,
) -> Result<Vec<(String, String)>, InfraError> {
    let paths = walk(dir, extensions)?;
    if paths.is_empty() {
        return Err(InfraError::Empty {
            path: dir.display().to_string(),
            what,
        });
    }
    paths
        .iter()
        .map(|p| Ok((p.display().to_string(), read(p, budget)?)))
        .collect()
}

fn walk(dir: &Path, extensions: &[&str]) -> Result<Vec<PathBuf>, InfraError> {
    let mut out = Vec::new();
    let mut walked = BTreeSet::new();
    let mut entries = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        // A folder is known by its canonical path, so a link to one already walked is skipped.
        if !walked.insert(std::fs::canonicalize(&d).map_err(io(&d))?) {
            continue;
        }
        for entry in std::fs::read_dir(&d).map_err(io(&d))? {
            let path = entry.map_err(io(&d))?.path();
            entries += 1;
            if entries > MAX_ENTRIES {
                return Err(InfraError::TooLarge {
                    path: dir.display().to_string(),
                    what: "the number of folder entries walked",
                    limit: MAX_ENTRIES as u64,
                    unit: "entries",
                });
            }
            if path.is_dir() {
                if !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                {
                    stack.push(path);
                }
            } else if path
                .extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `None` for a regular file, else what it is.
fn irregular(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO");
        } else if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        } else if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a file")
}

/// The text of a regular file (a link to one is followed), within the per-file and total bounds.
fn read(path: &Path, budget: &mut Budget) -> Result<String, InfraError> {
    let not_a_file = |kind| InfraError::NotAFile {
        path: path.display().to_string(),
        kind,
    };
    // Checked before opening: opening a FIFO would wait for a writer.
    if let Some(kind) = irregular(&std::fs::metadata(path).map_err(io(path))?) {
        return Err(not_a_file(kind));
    }
    let file = File::open(path).map_err(io(path))?;
    if let Some(kind) = irregular(&file.metadata().map_err(io(path))?) {
        return Err(not_a_file(kind));
    }
    let left = MAX_TOTAL_BYTES.saturating_sub(budget.bytes);
    let limit = MAX_FILE_BYTES.min(left);
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    if bytes.len() as u64 > limit {
        let (what, limit) = if limit == MAX_FILE_BYTES {
            ("the file's size", MAX_FILE_BYTES)
        } else {
            ("the size of all files read together", MAX_TOTAL_BYTES)
        };
        return Err(InfraError::TooLarge {
            path: path.display().to_string(),
            what,
            limit,
            unit: "bytes",
        });
    }
    budget.bytes += bytes.len() as u64;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        InfraError::Invalid {
            file: path.display().to_string(),
            line: e
                .as_bytes()
                .iter()
                .take(valid)
                .filter(|b| **b == b'\n')
                .count()
                + 1,
            message: "the file is not UTF-8 text".into(),
        }
    })
}

//! A temporary copy of the repository's `kubernetes/` and `terraform/` to change and check.

#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use dbstack_infra::{check_dirs, InfraError, InfraReport};

pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A temp copy of `kubernetes/` and `terraform/`.
pub(crate) struct Copy {
    dir: tempfile::TempDir,
}

impl Copy {
    pub(crate) fn new() -> Copy {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo().join("kubernetes"), &dir.path().join("kubernetes"));
        copy_dir(&repo().join("terraform"), &dir.path().join("terraform"));
        Copy { dir }
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub(crate) fn file(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    /// Replaces the first occurrence of `from` (which must exist) and returns its 1-based line.
    pub(crate) fn replace(&self, rel: &str, from: &str, to: &str) -> usize {
        let path = self.path(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let at = text
            .find(from)
            .unwrap_or_else(|| panic!("`{from}` not in {rel}"));
        let line = text[..at].matches('\n').count() + 1;
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        line
    }

    /// Deletes the first line containing `needle` and returns its number.
    pub(crate) fn delete_line(&self, rel: &str, needle: &str) -> usize {
        let path = self.path(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let idx = lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("`{needle}` not in {rel}"));
        let kept: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != idx)
            .map(|(_, l)| *l)
            .collect();
        std::fs::write(&path, kept.join("\n") + "\n").unwrap();
        idx + 1
    }

    pub(crate) fn check(&self) -> InfraReport {
        check_dirs(&self.path("kubernetes"), &self.path("terraform")).unwrap()
    }

    pub(crate) fn check_err(&self) -> InfraError {
        check_dirs(&self.path("kubernetes"), &self.path("terraform")).unwrap_err()
    }
}

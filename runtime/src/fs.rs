//! The one way the runtime reads a file it is told about (a stack file, a Vault token file,
//! `~/.vault-token`, the service-account token and namespace, a CA file): a regular file
//! only, at most a given size, without blocking.
//!
//! A FIFO, a socket or a device is refused before a byte is read: `open` is non-blocking
//! (`O_NONBLOCK`, so opening a FIFO without a writer returns at once instead of waiting
//! forever), and the type is checked on the opened descriptor (`fstat`), so a path swapped
//! between a check and the open cannot slip a device in. A regular file never blocks a read
//! for long, so such a read fits inside any deadline the caller has. Symbolic links are
//! followed: Kubernetes mounts secrets as links into `..data/`.

use std::io::Read;
use std::path::Path;

/// The largest stack file: 1 MiB. A generated 5,000-alias stack file is about 350 KB.
pub const MAX_STACK_FILE: u64 = 1024 * 1024;
/// The largest token file (`~/.vault-token`, the service-account token, a namespace file):
/// 64 KiB. A service-account JWT is about 1 KB.
pub const MAX_TOKEN_FILE: u64 = 64 * 1024;
/// The largest CA bundle: 4 MiB (Mozilla's whole bundle is about 220 KB).
pub const MAX_CA_FILE: u64 = 4 * 1024 * 1024;

/// Why a file could not be read. Its text names the path, never the file's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// `open` or `read` failed (not found, permission denied, ...).
    #[error("{0}")]
    Io(String),
    /// Not a regular file: what it is instead.
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    /// Larger than the limit (bytes).
    #[error("more than the {0} bytes allowed")]
    TooLarge(u64),
    /// Not UTF-8 text.
    #[error("not UTF-8 text")]
    NotUtf8,
}

/// Reads the regular file at `path` as UTF-8 text of at most `max` bytes.
pub fn read_text(path: &Path, max: u64) -> Result<String, ReadError> {
    String::from_utf8(read_bytes(path, max)?).map_err(|_| ReadError::NotUtf8)
}

/// [`read_text`], `None` when nothing is at `path` (a missing namespace or token file).
pub fn read_text_if_any(path: &Path, max: u64) -> Result<Option<String>, ReadError> {
    match read_text(path, max) {
        Err(ReadError::Io(_)) if !path.exists() => Ok(None),
        read => read.map(Some),
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> ReadError {
        ReadError::Io(e.to_string())
    }
}

/// Reads the regular file at `path`, at most `max` bytes.
pub fn read_bytes(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if !kind.is_file() {
        return Err(ReadError::NotRegular(describe(&kind)));
    }
    if meta.len() > max {
        return Err(ReadError::TooLarge(max));
    }
    let mut out = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The size can change after fstat (a file being written): read one byte past the limit.
    file.take(max.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > max {
        return Err(ReadError::TooLarge(max));
    }
    Ok(out)
}

fn describe(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let special = [
            (kind.is_fifo(), "a FIFO (named pipe)"),
            (kind.is_char_device(), "a character device"),
            (kind.is_block_device(), "a block device"),
            (kind.is_socket(), "a socket"),
        ];
        if let Some((_, what)) = special.into_iter().find(|(is, _)| *is) {
            return what;
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "hello").unwrap();
        assert_eq!(read_text(&path, 5).unwrap(), "hello");
        assert_eq!(read_text(&path, 4), Err(ReadError::TooLarge(4)));
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        assert_eq!(read_text(&path, 5), Err(ReadError::NotUtf8));
        assert!(matches!(
            read_text(&dir.path().join("missing"), 5),
            Err(ReadError::Io(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn devices_directories_and_fifos_are_refused_at_once() {
        let started = std::time::Instant::now();
        assert_eq!(
            read_bytes(Path::new("/dev/zero"), 1024),
            Err(ReadError::NotRegular("a character device"))
        );
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            read_bytes(dir.path(), 1024),
            Err(ReadError::NotRegular("a directory"))
        );
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // No writer: a blocking open would wait forever.
        assert_eq!(
            read_bytes(&fifo, 1024),
            Err(ReadError::NotRegular("a FIFO (named pipe)"))
        );
        // A link to a device is the device.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert_eq!(
            read_bytes(&link, 1024),
            Err(ReadError::NotRegular("a character device"))
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}

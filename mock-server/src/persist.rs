//! Opt-in persistence of the main service's store (`wm-mock serve --state-file PATH`).
//!
//! # The file
//!
//! One JSON document, in a fixed layout of three lines:
//!
//! ```text
//! {"format":"wm-mock-state","version":1,"sha256":"<64 hex digits>","payload":
//! <the store's Snapshot, compact JSON on one line>
//! }
//! ```
//!
//! The checksum is the SHA-256 of the exact bytes of the payload line, and the first and last
//! lines must be exactly what wm-mock writes, so a truncated file or a changed byte anywhere is
//! refused, even where the JSON still parses. Unknown format versions are refused. The payload is
//! a [`Snapshot`]: the mock's own state with every secret it holds, so the file is created
//! readable by its owner only.
//!
//! # Saving
//!
//! [`write_atomically`]: write a temporary file in the same directory, fsync it, rename it over the
//! state file, fsync the directory. A reader (or a restart after a crash at any point) sees the
//! previous complete file or the new complete file, never a mix. Saves of one process are
//! serialized, and each takes its snapshot only once it holds that turn, so a later save never
//! loses to an earlier one. The store lock is held only while the snapshot is copied; encoding and
//! I/O happen outside it.
//!
//! One process per state file: two mocks saving to one file overwrite each other's state.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::service::Service;
use crate::store::snapshot::Snapshot;
use crate::store::Store;

/// The `format` member of every state file.
pub const FORMAT: &str = "wm-mock-state";

/// The format version this build writes and reads.
pub const VERSION: u64 = 1;

/// The last line of a state file (after the payload).
const TRAILER: &[u8] = b"\n}\n";

/// The shortest interval [`periodic_saver`] accepts (shorter ones are raised to it).
pub const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// Serializes the saves of this process (see the module documentation).
static SAVES: Mutex<()> = Mutex::new(());

/// Makes temporary file names unique within this process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Why a state file could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// The state file exists but cannot be read.
    #[error("{}: cannot read the state file: {source}", path.display())]
    Read {
        /// The state file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A step of saving failed. Up to the rename, the previous state file (if any) is unchanged;
    /// if only the directory sync failed, the new file is in place but may not survive a power
    /// loss.
    #[error("{}: cannot save the state ({step}): {source}", path.display())]
    Write {
        /// The state file.
        path: PathBuf,
        /// What was being done (`syncing the temporary file`, ...).
        step: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// The path names no file (`/`, `..`).
    #[error("{}: not a path to a file", path.display())]
    NotAFile {
        /// The path given.
        path: PathBuf,
    },
    /// The state could not be encoded as JSON.
    #[error("cannot encode the state: {0}")]
    Encode(#[source] serde_json::Error),
    /// The file is not a complete, unchanged state file as wm-mock writes it.
    #[error("{}: {problem}; not starting from it (repair or move the file away to start from an empty state)", path.display())]
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// What is wrong (truncated, checksum mismatch, ...).
        problem: String,
    },
    /// The file was written in a format version this build does not read.
    #[error("{}: state file format version {found} is not supported (this wm-mock reads version {VERSION}); not starting from it", path.display())]
    UnsupportedVersion {
        /// The state file.
        path: PathBuf,
        /// The version the file states.
        found: u64,
    },
}

/// The members of the first line that say what the file is.
#[derive(Deserialize)]
struct Header {
    format: String,
    version: u64,
    #[serde(default)]
    sha256: String,
}

fn header_line(sha256: &str) -> String {
    format!(r#"{{"format":"{FORMAT}","version":{VERSION},"sha256":"{sha256}","payload":"#)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Encodes a snapshot; also returns the payload's SHA-256 (hex).
fn encode_with_digest(snapshot: &Snapshot) -> Result<(Vec<u8>, String), PersistError> {
    // Compact JSON has no raw line breaks (strings escape them), so the payload is one line.
    let payload = serde_json::to_vec(snapshot).map_err(PersistError::Encode)?;
    let digest = hex(&Sha256::digest(&payload));
    let header = header_line(&digest);
    let mut out = Vec::with_capacity(header.len() + 1 + payload.len() + TRAILER.len());
    out.extend_from_slice(header.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(&payload);
    out.extend_from_slice(TRAILER);
    Ok((out, digest))
}

/// The bytes of a state file holding `snapshot`.
pub fn encode(snapshot: &Snapshot) -> Result<Vec<u8>, PersistError> {
    encode_with_digest(snapshot).map(|(bytes, _)| bytes)
}

/// Reads the bytes of a state file back into a store, checking everything: the layout, the
/// format and version, the checksum, the payload's shape, and the rebuilt store's invariants.
/// `path` only names the file in errors.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<Store, PersistError> {
    let corrupt = |problem: String| PersistError::Corrupt {
        path: path.to_path_buf(),
        problem,
    };
    if bytes.is_empty() {
        return Err(corrupt("the state file is empty (truncated)".into()));
    }
    let header: Header = serde_json::from_slice(bytes).map_err(|e| {
        corrupt(match e.classify() {
            serde_json::error::Category::Eof => format!("the state file is truncated ({e})"),
            serde_json::error::Category::Data => {
                format!("not a wm-mock state file, or a corrupt one ({e})")
            }
            _ => format!("the state file is corrupt: not valid JSON ({e})"),
        })
    })?;
    if header.format != FORMAT {
        return Err(corrupt(format!(
            "not a wm-mock state file, or a corrupt one (format {:?}, expected {FORMAT:?})",
            header.format
        )));
    }
    if header.version != VERSION {
        return Err(PersistError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: header.version,
        });
    }
    let first_line_end = bytes.iter().position(|b| *b == b'\n').unwrap_or(0);
    if bytes[..first_line_end] != *header_line(&header.sha256).as_bytes() {
        return Err(corrupt(
            "the state file is corrupt: its first line is not what wm-mock writes".into(),
        ));
    }
    let Some(payload) = bytes[first_line_end + 1..].strip_suffix(TRAILER) else {
        return Err(corrupt(
            "the state file is truncated or corrupt: it does not end with the line wm-mock writes"
                .into(),
        ));
    };
    let actual = hex(&Sha256::digest(payload));
    if actual != header.sha256 {
        return Err(corrupt(format!(
            "the state file is corrupt: checksum mismatch (the header says sha256 {}, the \
             payload hashes to {actual})",
            header.sha256
        )));
    }
    let de = &mut serde_json::Deserializer::from_slice(payload);
    let snapshot: Snapshot = serde_path_to_error::deserialize(de).map_err(|e| {
        corrupt(format!(
            "the state file's payload does not load (at {}: {})",
            e.path(),
            e.inner()
        ))
    })?;
    snapshot
        .into_store()
        .map_err(|e| corrupt(format!("the state file's payload is inconsistent: {e}")))
}

/// Loads the state file at `path`: `Ok(None)` if there is none, the store if it is complete and
/// unchanged, an error naming the file and what is wrong otherwise (never an empty store in place
/// of a damaged file).
pub fn load(path: &Path) -> Result<Option<Store>, PersistError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(PersistError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    decode(path, &bytes).map(Some)
}

/// The directory of `path` and the name of its temporary files (`.<name>.tmp-`).
fn temp_prefix(path: &Path) -> Result<(PathBuf, OsString), PersistError> {
    let name = path.file_name().ok_or_else(|| PersistError::NotAFile {
        path: path.to_path_buf(),
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".tmp-");
    Ok((dir, prefix))
}

fn write_and_sync(tmp: &Path, bytes: &[u8]) -> Result<(), (&'static str, io::Error)> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The file holds every secret the mock knows.
        options.mode(0o600);
    }
    let mut file = options
        .open(tmp)
        .map_err(|e| ("creating a temporary file", e))?;
    file.write_all(bytes)
        .map_err(|e| ("writing the temporary file", e))?;
    file.sync_all()
        .map_err(|e| ("syncing the temporary file", e))?;
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Replaces the file at `path` with `bytes` atomically and durably: a temporary file in the same
/// directory, fsynced, renamed over `path`, then the directory fsynced. On failure the temporary
/// file is removed and `path` is unchanged.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PersistError> {
    let (dir, mut name) = temp_prefix(path)?;
    name.push(format!(
        "{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = dir.join(name);
    let fail = |step: &'static str, source: io::Error| PersistError::Write {
        path: path.to_path_buf(),
        step,
        source,
    };
    if let Err((step, e)) = write_and_sync(&tmp, bytes) {
        let _ = fs::remove_file(&tmp);
        return Err(fail(step, e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(fail("renaming the temporary file over it", e));
    }
    sync_dir(&dir).map_err(|e| fail("syncing the directory", e))
}

/// Saves `store` to `path` atomically (see [`write_atomically`]).
pub fn save_atomically(path: &Path, store: &Store) -> Result<(), PersistError> {
    write_atomically(path, &encode(&Snapshot::of(store))?)
}

/// Saves the service's store unless its encoding hashes to `unless`; returns the new digest when
/// it wrote. Holds the process's save turn throughout, and the store lock only while copying.
fn save_service_unless(
    svc: &Service,
    path: &Path,
    unless: Option<&str>,
) -> Result<Option<String>, PersistError> {
    let _turn = SAVES.lock().unwrap_or_else(|p| p.into_inner());
    let snapshot = Snapshot::of(&svc.store());
    let (bytes, digest) = encode_with_digest(&snapshot)?;
    drop(snapshot);
    if unless == Some(digest.as_str()) {
        return Ok(None);
    }
    write_atomically(path, &bytes)?;
    Ok(Some(digest))
}

/// Saves the service's store to `path` now (blocking; call from a blocking context). Saves of one
/// process never overtake each other, so this one, started after the last change (at shutdown),
/// is the one the file ends with.
pub fn save_service(svc: &Service, path: &Path) -> Result<(), PersistError> {
    save_service_unless(svc, path, None).map(|_| ())
}

/// Removes temporary files a killed process left next to `path` (`.<name>.tmp-*`); returns how
/// many. Only call it when no other process saves to `path`.
pub fn remove_stale_temp_files(path: &Path) -> usize {
    let Ok((dir, prefix)) = temp_prefix(path) else {
        return 0;
    };
    let Ok(entries) = fs::read_dir(&dir) else {
        return 0;
    };
    let prefix = prefix.to_string_lossy().into_owned();
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter(|e| fs::remove_file(e.path()).is_ok())
        .count()
}

/// Saves the service's store to `path` every `interval` (at least [`MIN_INTERVAL`]) when it has
/// changed since the last save, until the task is dropped or aborted. Failures are logged and
/// retried at the next tick. Encoding and writing run on a blocking thread; a save in progress
/// when the task is aborted still completes before any later [`save_service`] starts.
pub async fn periodic_saver(svc: Arc<Service>, path: PathBuf, interval: Duration) {
    let period = interval.max(MIN_INTERVAL);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<String> = None;
    let mut failing = false;
    loop {
        ticks.tick().await;
        let (s, p, previous) = (Arc::clone(&svc), path.clone(), last.clone());
        let started = std::time::Instant::now();
        let outcome =
            tokio::task::spawn_blocking(move || save_service_unless(&s, &p, previous.as_deref()))
                .await;
        match outcome {
            Ok(Ok(written)) => {
                if failing {
                    tracing::info!(path = %path.display(), "saving the state works again");
                    failing = false;
                }
                if let Some(digest) = written {
                    tracing::debug!(
                        path = %path.display(),
                        ms = started.elapsed().as_millis(),
                        "state saved"
                    );
                    last = Some(digest);
                }
            }
            Ok(Err(e)) => {
                tracing::error!("{e}");
                failing = true;
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "the save task failed");
                failing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::default_providers;

    fn sample() -> Vec<u8> {
        encode(&Snapshot::of(&Store::new(default_providers()))).expect("encodes")
    }

    #[test]
    fn layout_is_three_lines_of_one_json_document() {
        let bytes = sample();
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.starts_with(r#"{"format":"wm-mock-state","version":1,"sha256":""#));
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("one JSON document");
        assert_eq!(v["payload"]["seq"], 0);
        assert!(decode(Path::new("s.json"), &bytes).is_ok());
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_refused() {
        let bytes = sample();
        for len in 0..bytes.len() {
            assert!(
                decode(Path::new("s.json"), &bytes[..len]).is_err(),
                "accepted a file truncated to {len} bytes"
            );
        }
        for i in 0..bytes.len() {
            for mask in [0x01u8, 0x20, 0x80] {
                let mut b = bytes.clone();
                b[i] ^= mask;
                assert!(
                    decode(Path::new("s.json"), &b).is_err(),
                    "accepted byte {i} xor {mask:#x}"
                );
            }
        }
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
    }
}

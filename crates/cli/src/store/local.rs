//! The local store: core's in-memory model of Secrets Manager, kept in a JSON file.
//!
//! - The file is written after every write call (PutSecretValue, UpdateSecretVersionStage,
//!   a new placeholder, a new secret) and before the call returns, to a temporary file that is
//!   synced and renamed into place, so a crash at any point leaves the state as it was after the
//!   last completed call. Concurrent writes share a save (group commit): a write whose change
//!   another save already captured returns without writing again.
//! - The file and its temporary sibling are created with mode 0600, the directory with 0700:
//!   the file holds secret values in plaintext.
//! - A process holds an exclusive lock on `<file>.lock` for as long as it uses the store, so
//!   two `rotor` runs never interleave their writes.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rotor_core::secrets_manager::ModelState;
use rotor_core::{InMemorySecretsManager, SecretsManagerError};

/// Why the local store could not be opened or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum LocalStoreError {
    /// A filesystem call on the store's files failed.
    #[error("{operation} {}: {source}", path.display())]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a saved model state.
    #[error("{} is not a rotor store: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// serde_json's message (it names positions, not values).
        reason: String,
    },
}

fn io(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> LocalStoreError {
    let path = path.to_owned();
    move |source| LocalStoreError::Io {
        operation,
        path,
        source,
    }
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    model: InMemorySecretsManager,
    /// Model writes so far.
    written: AtomicU64,
    /// Serialises saves, and holds the number of writes the file on disk includes.
    saved: Mutex<u64>,
    /// Held for the life of the process; the OS releases it on exit, also on a crash.
    _lock: File,
}

/// A file-backed [`InMemorySecretsManager`]. Clones share one model and one lock.
#[derive(Debug, Clone)]
pub(crate) struct LocalStore {
    inner: Arc<Inner>,
}

impl LocalStore {
    /// Opens (or starts) the store at `path`, waiting for any other `rotor` process using it.
    /// `waiting` is called once if the lock is held by someone else.
    pub(crate) fn open(path: &Path, waiting: impl FnOnce(&Path)) -> Result<Self, LocalStoreError> {
        if let Some(directory) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(directory)
                .map_err(io("create directory", directory))?;
        }
        let lock_path = sibling(path, "lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(io("open", &lock_path))?;
        if lock.try_lock().is_err() {
            waiting(&lock_path);
            lock.lock().map_err(io("lock", &lock_path))?;
        }
        let model = match fs::read(path) {
            Ok(bytes) => {
                let state: ModelState =
                    serde_json::from_slice(&bytes).map_err(|error| LocalStoreError::Corrupt {
                        path: path.to_owned(),
                        reason: error.to_string(),
                    })?;
                InMemorySecretsManager::from_state(state)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => InMemorySecretsManager::new(),
            Err(error) => return Err(io("read", path)(error)),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                model,
                written: AtomicU64::new(0),
                saved: Mutex::new(0),
                _lock: lock,
            }),
        })
    }

    /// The model; call [`save`](Self::save) after changing it.
    pub(crate) fn model(&self) -> &InMemorySecretsManager {
        &self.inner.model
    }

    /// The store's file.
    pub(crate) fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Records a write to the model and makes sure the file includes it: temporary file (0600),
    /// fsync, rename over the store, unless a concurrent save already captured this write.
    pub(crate) fn save(&self) -> Result<(), LocalStoreError> {
        let mine = self.inner.written.fetch_add(1, Ordering::SeqCst) + 1;
        let mut saved = self.inner.saved.lock().unwrap_or_else(PoisonError::into_inner);
        if *saved >= mine {
            return Ok(());
        }
        // Every write counted so far is in the snapshot taken after this load.
        let including = self.inner.written.load(Ordering::SeqCst);
        self.write_snapshot()?;
        *saved = including;
        Ok(())
    }

    fn write_snapshot(&self) -> Result<(), LocalStoreError> {
        let path = &self.inner.path;
        let bytes =
            serde_json::to_vec(&self.inner.model.snapshot()).map_err(|error| LocalStoreError::Corrupt {
                path: path.clone(),
                reason: error.to_string(),
            })?;
        let temporary = sibling(path, "tmp");
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(io("create", &temporary))?;
        // An existing file keeps its mode on open; the store must never be readable by others.
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io("chmod", &temporary))?;
        file.write_all(&bytes).map_err(io("write", &temporary))?;
        file.sync_all().map_err(io("sync", &temporary))?;
        fs::rename(&temporary, path).map_err(io("rename into", path))?;
        Ok(())
    }

    /// [`save`](Self::save), as the port error a step reports when the write is lost.
    pub(crate) fn persist(&self) -> Result<(), SecretsManagerError> {
        self.save().map_err(|error| SecretsManagerError::Service {
            code: "LocalStoreWriteFailed".to_owned(),
            message: error.to_string(),
        })
    }
}

/// `store.json` → `store.json.<suffix>`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rotor_core::SecretValue;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rotor-local-store-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir.join("nested/store.json")
    }

    #[test]
    fn debug_of_the_local_store_prints_no_stored_value() {
        let path = scratch("debug");
        let store = LocalStore::open(&path, |_| {}).unwrap();
        store
            .model()
            .create_secret("app", &SecretValue::new(r#"{"password":"local-store-Pw-41ac"}"#))
            .unwrap();
        let debug = format!("{store:?} {store:#?}");
        assert!(!debug.contains("local-store-Pw-41ac"), "{debug}");
        drop(store);
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn a_saved_store_reloads_with_private_permissions() {
        let path = scratch("reload");
        {
            let store = LocalStore::open(&path, |_| {}).unwrap();
            store
                .model()
                .create_secret("app", &SecretValue::new("{}"))
                .unwrap();
            store.save().unwrap();
        }
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777;
        assert_eq!(dir_mode, 0o700);
        let again = LocalStore::open(&path, |_| {}).unwrap();
        assert_eq!(again.model().secret_arns().len(), 1);
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn a_second_opener_waits_for_the_lock() {
        let path = scratch("lock");
        let first = LocalStore::open(&path, |_| {}).unwrap();
        let (told, heard) = std::sync::mpsc::channel();
        let second = std::thread::spawn({
            let path = path.clone();
            move || LocalStore::open(&path, |_| told.send(()).unwrap()).map(|_| ())
        });
        heard.recv().unwrap();
        drop(first);
        second.join().unwrap().unwrap();
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }
}

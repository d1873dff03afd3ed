//! The index root on disk: generation directories side by side, `CURRENT`
//! naming the live one, and the rebuild lock that lets only one process at a
//! time build a generation, swap `CURRENT` or remove old generations.

use std::fs;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Result;

/// The file whose OS lock (released when its process dies, even by kill -9)
/// a process holds while it builds a generation, swaps `CURRENT` or removes
/// old generations.
const REBUILD_LOCK: &str = "REBUILD.lock";
/// Tantivy's writer lock inside a generation: held by the process that
/// indexes into it.
const WRITER_LOCK: &str = ".tantivy-writer.lock";

/// Makes names unique within the process; the process id makes them unique
/// between processes.
static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        UNIQUE.fetch_add(1, Ordering::Relaxed)
    )
}

/// The index root: `CURRENT` names the live generation directory beside it.
/// A rebuild writes a new generation under the rebuild lock and swaps
/// `CURRENT` by rename, which is atomic, only once the generation is complete.
#[derive(Debug, Clone)]
pub struct IndexRoot {
    root: PathBuf,
}

/// Proof that this process holds the rebuild lock; released on drop.
#[derive(Debug)]
pub struct RebuildLock {
    _file: fs::File,
}

impl IndexRoot {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn pointer(&self) -> PathBuf {
        self.root.join("CURRENT")
    }

    /// The name of the live generation, if there is one.
    pub fn current_generation(&self) -> Result<Option<String>> {
        match fs::read_to_string(self.pointer()) {
            Ok(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Bytes on disk under the index directory, all generations together.
    pub fn size_on_disk(&self) -> u64 {
        walkdir::WalkDir::new(&self.root)
            .into_iter()
            .filter_map(|entry| entry.ok()?.metadata().ok())
            .filter(|meta| meta.is_file())
            .map(|meta| meta.len())
            .sum()
    }

    /// The directory of a generation.
    pub fn generation_dir(&self, generation: &str) -> PathBuf {
        self.root.join(generation)
    }

    fn lock_file(&self) -> Result<fs::File> {
        fs::create_dir_all(&self.root)?;
        Ok(fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join(REBUILD_LOCK))?)
    }

    /// Waits for the rebuild lock (blocking: call it off the async threads).
    pub fn lock(&self) -> Result<RebuildLock> {
        let file = self.lock_file()?;
        file.lock()?;
        Ok(RebuildLock { _file: file })
    }

    /// The rebuild lock if no other process holds it now.
    pub fn try_lock(&self) -> Result<Option<RebuildLock>> {
        let file = self.lock_file()?;
        match file.try_lock() {
            Ok(()) => Ok(Some(RebuildLock { _file: file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(e.into()),
        }
    }

    /// Creates an empty directory for a new generation and returns its name,
    /// unique across processes; names sort by creation time.
    pub fn new_generation(&self, _lock: &RebuildLock) -> Result<String> {
        fs::create_dir_all(&self.root)?;
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f");
        let name = format!("gen-{stamp}-{}", unique_suffix());
        fs::create_dir(self.root.join(&name))?;
        Ok(name)
    }

    /// Makes `generation` the live one, atomically. Refuses a generation
    /// without a commit, so `CURRENT` never names an empty or missing one.
    pub fn swap_to(&self, generation: &str, _lock: &RebuildLock) -> Result<()> {
        let meta = self.generation_dir(generation).join("meta.json");
        if !meta.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} holds no committed index", meta.display()),
            )
            .into());
        }
        let tmp = self.root.join(format!("CURRENT.tmp-{}", unique_suffix()));
        let written = (|| {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(generation.as_bytes())?;
            file.sync_all()?;
            fs::rename(&tmp, self.pointer())
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e.into());
        }
        if let Ok(dir) = fs::File::open(&self.root) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Removes every generation that is not live, not in `keep` and not
    /// indexed into by any process (its writer lock is free), and temporary
    /// pointer files. Holding the rebuild lock means no generation is being
    /// built meanwhile.
    pub fn remove_stale(&self, _lock: &RebuildLock, keep: &[&str]) -> Result<Vec<String>> {
        let current = self.current_generation()?;
        let mut removed = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("CURRENT.tmp") {
                let _ = fs::remove_file(entry.path());
                continue;
            }
            if !name.starts_with("gen-")
                || current.as_deref() == Some(name.as_str())
                || keep.contains(&name.as_str())
                || writer_active(&entry.path())?
            {
                continue;
            }
            fs::remove_dir_all(entry.path())?;
            removed.push(name);
        }
        Ok(removed)
    }
}

/// True while some process holds the writer lock of the generation in `dir`.
fn writer_active(dir: &std::path::Path) -> Result<bool> {
    let file = match fs::File::open(dir.join(WRITER_LOCK)) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    match file.try_lock() {
        Ok(()) => Ok(false),
        Err(fs::TryLockError::WouldBlock) => Ok(true),
        Err(fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rebuild_lock_is_held_by_one_holder_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let root = IndexRoot::new(dir.path().join("index"));
        let held = root.lock().unwrap();
        assert!(root.try_lock().unwrap().is_none());
        drop(held);
        assert!(root.try_lock().unwrap().is_some());
    }

    #[test]
    fn current_never_names_a_generation_without_a_commit() {
        let dir = tempfile::tempdir().unwrap();
        let root = IndexRoot::new(dir.path().join("index"));
        let lock = root.lock().unwrap();
        let empty = root.new_generation(&lock).unwrap();
        let other = root.new_generation(&lock).unwrap();
        assert_ne!(empty, other, "names are unique");
        assert!(root.swap_to(&empty, &lock).is_err());
        assert!(root.swap_to("gen-missing", &lock).is_err());
        assert_eq!(root.current_generation().unwrap(), None);
    }
}

//! Backups, restores and exports: a consistent copy of the database taken
//! while the archive keeps serving, its return into an empty data directory
//! (the search index is rebuilt from it), and every article as NDJSON in the
//! import format. What it writes is the owner's alone (0600).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::archive::{Location, database_path};
use crate::store::{Database, Store};

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupReport {
    pub articles: i64,
    pub bytes: u64,
}

/// A file beside `path` to write first and rename into place, so a failed
/// or interrupted run never leaves a half-written file under the real name.
fn partial(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Copies the SQLite database of the archive at `at` to `dest`,
/// consistently, while other processes go on reading and writing it. An
/// archive on PostgreSQL is backed up with PostgreSQL's own tools.
pub async fn backup(at: &Location, dest: &Path) -> anyhow::Result<BackupReport> {
    let Database::File(database) = &at.database else {
        bail!("{}", crate::store::POSTGRES_BACKUP);
    };
    if !database.exists() {
        bail!("{}: there is no archive database here", database.display());
    }
    if dest.exists() {
        bail!("{}: already exists; choose a new file name", dest.display());
    }
    let tmp = partial(dest);
    let _ = std::fs::remove_file(&tmp);
    // Made 0600 first: `VACUUM INTO` fills an empty file and keeps its mode.
    crate::private::create_file(&tmp)
        .with_context(|| format!("creating the backup {}", tmp.display()))?;
    let store = Store::open(&at.database).await?;
    let result = store.backup_into(&tmp).await;
    store.close().await;
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing the backup {}", dest.display()));
    }
    std::fs::File::open(&tmp).and_then(|f| f.sync_all())?;
    std::fs::rename(&tmp, dest)
        .with_context(|| format!("moving the backup into place at {}", dest.display()))?;
    let copy = Store::open(&Database::File(dest.to_owned())).await?;
    let articles = copy.article_count().await?;
    copy.close().await;
    Ok(BackupReport {
        articles,
        bytes: std::fs::metadata(dest)?.len(),
    })
}

/// Puts the database backup `src` into `data_dir`, which must hold no
/// archive yet. The backup is checked (and migrated, if older) on a copy
/// first, so a bad backup leaves the directory as it was. Returns the
/// number of articles restored; the caller then opens the archive, which
/// rebuilds the search index.
pub async fn restore(src: &Path, at: &Location) -> anyhow::Result<i64> {
    if at.database.is_postgres() {
        bail!(
            "restore brings an SQLite backup back into a data directory; to move an archive \
             to PostgreSQL, restore it without --database-url, then run \
             `newsarchive copy-db --to postgres://...`"
        );
    }
    let data_dir = at.data_dir.as_path();
    let database = database_path(data_dir);
    if database.exists() {
        bail!(
            "{}: an archive is already here; restore into an empty data directory",
            database.display()
        );
    }
    if !src.is_file() {
        bail!("{}: no such backup file", src.display());
    }
    let mut header = [0u8; 16];
    std::io::Read::read_exact(&mut std::fs::File::open(src)?, &mut header)
        .ok()
        .filter(|()| &header == b"SQLite format 3\0")
        .with_context(|| format!("{}: not an SQLite database", src.display()))?;
    crate::private::create_dir(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let tmp = partial(&database);
    // Copied into a 0600 file (`fs::copy` would give it the backup's mode).
    std::io::copy(
        &mut std::fs::File::open(src)?,
        &mut crate::private::create_file(&tmp)?,
    )
    .with_context(|| format!("copying {}", src.display()))?;
    let checked = async {
        let store = Store::open(&Database::File(tmp.clone())).await?;
        let problems = store.integrity_problems().await?;
        let articles = store.article_count().await?;
        store.close().await;
        if !problems.is_empty() {
            bail!("the backup is damaged: {}", problems.join("; "));
        }
        Ok(articles)
    }
    .await
    .with_context(|| format!("{}: not a usable newsarchive backup", src.display()));
    let articles = match checked {
        Ok(articles) => articles,
        Err(e) => {
            remove_database_files(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, &database)?;
    Ok(articles)
}

fn remove_database_files(path: &Path) {
    for file in crate::store::database_files(path) {
        let _ = std::fs::remove_file(file);
    }
}

/// Writes every article, by id, as one line of import-format JSON, from
/// one consistent snapshot. Returns the number of articles written.
pub async fn export(at: &Location, out: &mut dyn Write) -> anyhow::Result<u64> {
    if let Database::File(database) = &at.database
        && !database.exists()
    {
        bail!("{}: there is no archive database here", database.display());
    }
    let store = Store::open(&at.database).await?;
    let mut snapshot = store.snapshot().await?;
    let (mut after, mut count) = (0, 0u64);
    loop {
        let batch = snapshot.articles_after(after, 1_000).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for article in &batch {
            // The record: every paragraph as imported, boilerplate included.
            serde_json::to_writer(&mut *out, &article.record())?;
            out.write_all(b"\n")?;
            count += 1;
        }
    }
    drop(snapshot);
    store.close().await;
    out.flush()?;
    Ok(count)
}

/// Exports into the file `dest`, written whole or not at all. Something
/// that is not a regular file (`/dev/null`, a pipe) is written directly:
/// renaming a finished file over it would replace the device or pipe.
pub async fn export_to_file(at: &Location, dest: &Path) -> anyhow::Result<u64> {
    if std::fs::metadata(dest).is_ok_and(|m| !m.is_file()) {
        let mut out = std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .write(true)
                .open(dest)
                .with_context(|| format!("opening {}", dest.display()))?,
        );
        return export(at, &mut out).await;
    }
    let tmp = partial(dest);
    let mut file = std::io::BufWriter::new(
        crate::private::create_file(&tmp).with_context(|| format!("creating {}", tmp.display()))?,
    );
    let count = match export(at, &mut file).await {
        Ok(count) => count,
        Err(e) => {
            drop(file);
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, dest)?;
    Ok(count)
}

//! Files only the archive's owner may read: the data directory is made
//! 0700 and the database, backups and exports 0600, set explicitly so that
//! no umask can loosen them.

use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

/// The mode of directories the archive creates: the owner alone.
pub const DIR_MODE: u32 = 0o700;
/// The mode of files the archive creates: the owner alone.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and any missing parents) with mode 0700; a directory that
/// already exists is left as it is. True when it was created.
pub fn create_dir(dir: &Path) -> io::Result<bool> {
    if dir.is_dir() {
        return Ok(false);
    }
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    // The umask may have taken bits away from the mode asked for (or a
    // strange one kept others); say it exactly.
    fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))?;
    Ok(true)
}

/// Creates `path` empty with mode 0600, or truncates it and sets it to 0600
/// when it exists: for files written whole, such as a `.partial` copy.
pub fn create_file(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// Creates `path` empty with mode 0600 unless it exists; an existing file
/// is left untouched. True when it was created.
pub fn create_file_if_missing(path: &Path) -> io::Result<bool> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
    {
        Ok(file) => {
            file.set_permissions(Permissions::from_mode(FILE_MODE))?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether others than the owner may read or enter `path`.
pub fn is_shared(path: &Path) -> io::Result<bool> {
    Ok(fs::metadata(path)?.permissions().mode() & 0o077 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn what_it_creates_is_the_owners_alone() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a/data");
        assert!(create_dir(&data).unwrap());
        assert_eq!(mode(&data), 0o700);
        assert!(!create_dir(&data).unwrap());
        assert!(!is_shared(&data).unwrap());

        let loose = dir.path().join("loose");
        fs::write(&loose, "x").unwrap();
        fs::set_permissions(&loose, Permissions::from_mode(0o644)).unwrap();
        assert!(is_shared(&loose).unwrap());
        create_file(&loose).unwrap();
        assert_eq!(mode(&loose), 0o600);
        assert_eq!(fs::read(&loose).unwrap(), b"");

        let db = data.join("db");
        assert!(create_file_if_missing(&db).unwrap());
        assert_eq!(mode(&db), 0o600);
        fs::write(&db, "kept").unwrap();
        assert!(!create_file_if_missing(&db).unwrap());
        assert_eq!(fs::read(&db).unwrap(), b"kept");
    }
}

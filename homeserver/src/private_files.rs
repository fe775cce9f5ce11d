//! Folders and files the server keeps to itself: those it creates are `0700` and `0600` on
//! Unix (the database holds password hashes and personal data; the key signs for the server).
//! The mode of something that already exists is left as the operator set it.

use std::fs::OpenOptions;
use std::io;
use std::path::Path;

/// Creates `path` and any missing parents, each private to the server's user.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// Creates the folder `path` is in (unless it is the current one), as [`create_dir_all`].
pub fn create_parent(path: &Path) -> io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => create_dir_all(parent),
        None => Ok(()),
    }
}

/// Options that create a file private to the server's user (when they create it at all).
pub fn open_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Creates `path` empty and private unless it exists. SQLite gives the `-wal` and `-shm` files
/// it creates the mode of the database file, so a private database keeps them private too.
pub fn create_file_if_missing(path: &Path) -> io::Result<()> {
    match open_options().write(true).create_new(true).open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn creates_private_folders_and_files_and_leaves_existing_ones() {
        let root = std::env::temp_dir().join(format!("convo-private-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let nested = root.join("a/b");
        create_dir_all(&nested).unwrap();
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&nested), 0o700);
        let file = nested.join("f");
        create_file_if_missing(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::write(&file, "kept").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        create_file_if_missing(&file).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "kept");
        assert_eq!(mode(&file), 0o640, "an existing file keeps its mode");
        std::fs::remove_dir_all(&root).unwrap();
    }
}

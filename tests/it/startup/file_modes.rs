//! The data folder, the database with its `-wal` and `-shm` files, the lock and the key are
//! created private to the server's user, by `convo serve` and by `convo init`.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Stdio;

use crate::binary::{convo, terminate, wait_for_listen_line};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn serve_creates_its_folder_and_files_private() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = convo(dir.path())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            "data/convo",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_listen_line(&mut child);
    let data = dir.path().join("data/convo");
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    assert_eq!(mode(&data), 0o700);
    for file in ["convo.db", "convo.db-wal", "convo.db-shm", "signing.key"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    terminate(&mut child);
}

#[test]
fn init_creates_its_folder_and_files_private() {
    let dir = tempfile::tempdir().unwrap();
    let out = convo(dir.path())
        .args(["init", "--data-dir", "data/convo"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data = dir.path().join("data/convo");
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("signing.key")), 0o600);
    assert_eq!(mode(&data.join("convo.toml")), 0o600);
}

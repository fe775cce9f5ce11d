//! The signing key file: one line `ed25519 <id> <unpadded base64 seed>`, as Synapse writes them.

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use super::{KeyError, KeyId, ServerSigningKey};

/// The algorithm name at the start of the line.
const ALGORITHM: &str = "ed25519";

impl ServerSigningKey {
    /// The key file line: `ed25519 <id> <unpadded base64 seed>\n`. It contains the secret.
    pub fn to_file_contents(&self) -> String {
        format!(
            "{ALGORITHM} {} {}\n",
            self.key_id().version(),
            STANDARD_NO_PAD.encode(self.seed())
        )
    }

    /// Parses a key file's contents. A missing final newline or a final `\r\n` is accepted;
    /// anything else must match the format exactly.
    pub fn from_file_contents(contents: &str) -> Result<Self, KeyError> {
        let line = contents.strip_suffix('\n').unwrap_or(contents);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            return Err(malformed("empty key file"));
        }
        if line.contains(['\n', '\r']) {
            return Err(malformed("expected exactly one line"));
        }
        let fields: Vec<&str> = line.split(' ').collect();
        let [algorithm, version, seed] = fields[..] else {
            return Err(malformed(
                "expected '<algorithm> <id> <seed>' separated by single spaces",
            ));
        };
        if algorithm != ALGORITHM {
            return Err(KeyError::UnsupportedAlgorithm);
        }
        let key_id = KeyId::ed25519(version).map_err(|e| KeyError::Malformed {
            reason: e.to_string(),
        })?;
        // The seed is secret: these messages must never quote it.
        let seed = STANDARD_NO_PAD
            .decode(seed)
            .map_err(|_| malformed("seed is not unpadded base64"))?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| malformed("seed is not 32 bytes"))?;
        Ok(Self::from_seed(key_id, &seed))
    }

    /// Reads the key file at `path`.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let contents = fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_file_contents(&contents).map_err(|e| KeyError::MalformedFile {
            path: path.to_owned(),
            reason: match e {
                KeyError::Malformed { reason } => reason,
                other => other.to_string(),
            },
        })
    }

    /// Writes this key to a new file at `path`, creating parent directories.
    ///
    /// Refuses to overwrite an existing file ([`KeyError::AlreadyExists`]): losing a server key
    /// would make every event it signed unverifiable. On Unix the file is created with mode 0600.
    pub fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        let io_error = |path: &Path| {
            let path = path.to_owned();
            move |source| KeyError::Io { path, source }
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|source| {
            if source.kind() == io::ErrorKind::AlreadyExists {
                KeyError::AlreadyExists {
                    path: path.to_owned(),
                }
            } else {
                io_error(path)(source)
            }
        })?;
        let written = file
            .write_all(self.to_file_contents().as_bytes())
            .and_then(|()| file.sync_all());
        if let Err(source) = written {
            drop(file);
            // We created the file, so removing the partial write loses nothing.
            let _ = fs::remove_file(path);
            return Err(io_error(path)(source));
        }
        Ok(())
    }

    /// Loads the key at `path`, or generates and writes a new one if there is no file.
    ///
    /// Returns the key and whether it was just created.
    pub fn load_or_generate(path: &Path) -> Result<(Self, bool), KeyError> {
        match Self::load(path) {
            Err(KeyError::Io { ref source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                let key = Self::generate();
                match key.write_new(path) {
                    Ok(()) => Ok((key, true)),
                    // Another process created it in between: use theirs.
                    Err(KeyError::AlreadyExists { .. }) => Ok((Self::load(path)?, false)),
                    Err(e) => Err(e),
                }
            }
            loaded => loaded.map(|key| (key, false)),
        }
    }
}

fn malformed(reason: &str) -> KeyError {
    KeyError::Malformed {
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use rand::distr::{Alphanumeric, SampleString};

    use super::*;
    use crate::keys::verify;

    /// RFC 8032 section 7.1, test 1, as unpadded base64.
    const RFC_SEED_B64: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";

    /// A fresh directory under the system temporary directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            let name = Alphanumeric.sample_string(&mut rand::rng(), 12);
            let dir = std::env::temp_dir().join(format!("convo-federation-test-{name}"));
            fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn malformed_reason(contents: &str) -> String {
        match ServerSigningKey::from_file_contents(contents) {
            Err(KeyError::Malformed { reason }) => reason,
            other => panic!("{contents:?}: unexpected {other:?}"),
        }
    }

    #[test]
    fn file_contents_round_trip() {
        let key = ServerSigningKey::generate();
        let contents = key.to_file_contents();
        let fields: Vec<&str> = contents.trim_end().split(' ').collect();
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[0], "ed25519");
        assert_eq!(fields[1], key.key_id().version());
        assert!(contents.ends_with('\n'));

        let parsed = ServerSigningKey::from_file_contents(&contents).unwrap();
        assert_eq!(parsed.key_id(), key.key_id());
        assert_eq!(parsed.public_key_base64(), key.public_key_base64());
        verify(&key.public_key_base64(), b"m", &parsed.sign(b"m")).unwrap();
    }

    #[test]
    fn known_file_contents() {
        let contents = format!("ed25519 a_rfc {RFC_SEED_B64}\n");
        let key = ServerSigningKey::from_file_contents(&contents).unwrap();
        assert_eq!(key.key_id().as_str(), "ed25519:a_rfc");
        assert_eq!(
            key.public_key_base64(),
            "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
        assert_eq!(key.to_file_contents(), contents);
        for variant in [
            contents.trim_end().to_owned(),
            contents.replace('\n', "\r\n"),
        ] {
            let again = ServerSigningKey::from_file_contents(&variant).unwrap();
            assert_eq!(again.public_key_base64(), key.public_key_base64());
        }
    }

    #[test]
    fn rejects_malformed_contents() {
        let layout = "expected '<algorithm> <id> <seed>' separated by single spaces";
        let cases = [
            (String::new(), "empty key file"),
            ("\n".to_owned(), "empty key file"),
            (
                format!("ed25519 a {RFC_SEED_B64}\ned25519 b {RFC_SEED_B64}\n"),
                "expected exactly one line",
            ),
            (format!("ed25519 {RFC_SEED_B64}"), layout),
            (format!("ed25519 a {RFC_SEED_B64} extra"), layout),
            (format!("ed25519  a {RFC_SEED_B64}"), layout),
            (format!("ed25519\ta\t{RFC_SEED_B64}"), layout),
            (
                format!("ed25519 a-b {RFC_SEED_B64}"),
                "invalid key id: id may contain only A-Z, a-z, 0-9 and '_'",
            ),
            (
                format!("ed25519 a {RFC_SEED_B64}="),
                "seed is not unpadded base64",
            ),
            (
                "ed25519 a not*base64".to_owned(),
                "seed is not unpadded base64",
            ),
            (
                format!("ed25519 a {}", &RFC_SEED_B64[..40]),
                "seed is not 32 bytes",
            ),
        ];
        for (contents, expected) in cases {
            assert_eq!(malformed_reason(&contents), expected, "{contents:?}");
        }
        assert!(matches!(
            ServerSigningKey::from_file_contents(&format!("curve25519 a {RFC_SEED_B64}")),
            Err(KeyError::UnsupportedAlgorithm)
        ));
    }

    #[test]
    fn write_then_load_round_trip() {
        let dir = TempDir::new();
        let path = dir.0.join("nested/deeper/signing.key");
        let key = ServerSigningKey::generate();
        key.write_new(&path).unwrap();

        assert_eq!(fs::read_to_string(&path).unwrap(), key.to_file_contents());
        let loaded = ServerSigningKey::load(&path).unwrap();
        assert_eq!(loaded.key_id(), key.key_id());
        assert_eq!(loaded.public_key_base64(), key.public_key_base64());
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_private() {
        use std::os::unix::fs::PermissionsExt as _;

        let dir = TempDir::new();
        let path = dir.0.join("signing.key");
        ServerSigningKey::generate().write_new(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }

    #[test]
    fn refuses_to_overwrite() {
        let dir = TempDir::new();
        let path = dir.0.join("signing.key");
        let first = ServerSigningKey::generate();
        first.write_new(&path).unwrap();

        let second = ServerSigningKey::generate();
        match second.write_new(&path) {
            Err(KeyError::AlreadyExists { path: reported }) => assert_eq!(reported, path),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(fs::read_to_string(&path).unwrap(), first.to_file_contents());
    }

    #[test]
    fn load_reports_missing_and_malformed_files() {
        let dir = TempDir::new();
        let path = dir.0.join("signing.key");
        match ServerSigningKey::load(&path) {
            Err(KeyError::Io { path: p, source }) => {
                assert_eq!(p, path);
                assert_eq!(source.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("unexpected {other:?}"),
        }

        let secret_looking = "c2VjcmV0c2VjcmV0c2VjcmV0";
        fs::write(&path, format!("ed25519 a {secret_looking}\n")).unwrap();
        let err = ServerSigningKey::load(&path).unwrap_err();
        match &err {
            KeyError::MalformedFile { path: p, reason } => {
                assert_eq!(p, &path);
                assert_eq!(reason, "seed is not 32 bytes");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(!err.to_string().contains(secret_looking), "{err}");
        assert!(!format!("{err:?}").contains(secret_looking), "{err:?}");

        fs::write(&path, format!("rsa a {RFC_SEED_B64}\n")).unwrap();
        let err = ServerSigningKey::load(&path).unwrap_err();
        assert!(
            err.to_string().contains("unsupported key algorithm"),
            "{err}"
        );
    }

    #[test]
    fn load_or_generate_creates_once() {
        let dir = TempDir::new();
        let path = dir.0.join("keys/signing.key");
        let (created, was_created) = ServerSigningKey::load_or_generate(&path).unwrap();
        assert!(was_created);
        let (loaded, was_created) = ServerSigningKey::load_or_generate(&path).unwrap();
        assert!(!was_created);
        assert_eq!(loaded.key_id(), created.key_id());
        assert_eq!(loaded.public_key_base64(), created.public_key_base64());
    }

    #[test]
    fn load_or_generate_does_not_replace_a_broken_file() {
        let dir = TempDir::new();
        let path = dir.0.join("signing.key");
        fs::write(&path, "garbage").unwrap();
        assert!(matches!(
            ServerSigningKey::load_or_generate(&path),
            Err(KeyError::MalformedFile { .. })
        ));
        assert_eq!(fs::read_to_string(&path).unwrap(), "garbage");
    }
}

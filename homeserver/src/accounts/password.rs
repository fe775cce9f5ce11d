//! Password hashing (argon2id, on the blocking pool) and the strength rules.

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::config::AuthConfig;
use crate::error::{Error, ErrorCode};

/// Longest accepted password: argon2 costs time in its length, and nobody types more.
pub const MAX_PASSWORD_LENGTH: usize = 512;

/// The most common passwords (lowercase), refused outright.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwerty123",
    "qwertyuiop",
    "iloveyou",
    "11111111",
    "00000000",
    "abc12345",
    "abcd1234",
    "letmein1",
    "welcome1",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "superman",
    "trustno1",
    "passw0rd",
    "1q2w3e4r",
    "zaq12wsx",
    "qwerty12",
    "asdfghjk",
    "changeme",
    "starwars",
];

/// Hashes and verifies passwords with the configured argon2id cost.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    params: Params,
    pool: Arc<HashPool>,
}

type Job = Box<dyn FnOnce() + Send>;

/// A few threads of its own for argon2. Each hash allocates its memory cost (19 MiB by
/// default); on tokio's large blocking pool every thread's allocator arena kept such buffers,
/// which grew the process to about a gigabyte. Here at most `threads` arenas do.
#[derive(Debug)]
struct HashPool {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl HashPool {
    fn start(threads: usize) -> Self {
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("convo-argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The threads end once every hasher (and so the sender) is gone.
                        let job = match rx.lock().unwrap_or_else(|e| e.into_inner()).recv() {
                            Ok(job) => job,
                            Err(_) => break,
                        };
                        job();
                    }
                });
            if let Err(err) = spawned {
                tracing::error!(cause = %err, "cannot start a password hashing thread");
            }
        }
        Self { jobs }
    }

    /// Runs `work` on a hashing thread; the receiver yields its result.
    fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> oneshot::Receiver<T> {
        let (tx, rx) = oneshot::channel();
        let _ = self.jobs.send(Box::new(move || {
            let _ = tx.send(work());
        }));
        rx
    }
}

impl PasswordHasher {
    pub fn new(config: &AuthConfig) -> Result<Self, argon2::Error> {
        let params = Params::new(config.argon2_memory_kib, config.argon2_iterations, 1, None)?;
        Ok(Self {
            params,
            pool: Arc::new(HashPool::start(config.password_hash_threads)),
        })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string for `password`.
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let argon2 = self.argon2();
        let password = password.to_owned();
        self.pool
            .run(move || argon2.hash_password(password.as_bytes()))
            .await
            .map_err(Error::internal)?
            .map(|hash| hash.to_string())
            .map_err(Error::internal)
    }

    /// Whether `password` matches `phc`. A malformed stored hash counts as a mismatch (logged).
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, Error> {
        let argon2 = self.argon2();
        let password = password.to_owned();
        let phc = phc.to_owned();
        let outcome = self
            .pool
            .run(move || argon2.verify_password(password.as_bytes(), phc.as_str()))
            .await
            .map_err(Error::internal)?;
        match outcome {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(other) => {
                tracing::error!(cause = %other, "stored password hash is unusable");
                Ok(false)
            }
        }
    }

    /// Spends as long as a real verification (one argon2 run with the same cost), so that an
    /// unknown user answers neither faster nor slower than a wrong password does.
    pub async fn verify_dummy(&self, password: &str) -> Result<(), Error> {
        let argon2 = self.argon2();
        let password = password.to_owned();
        self.pool
            .run(move || {
                let mut out = [0u8; 32];
                argon2.hash_password_into(password.as_bytes(), b"convo-timing-equaliser", &mut out)
            })
            .await
            .map_err(Error::internal)?
            .map_err(Error::internal)
    }
}

/// Refuses passwords that are too short or long, too common, or contain the username.
pub fn check_strength(password: &str, username: &str, min_length: usize) -> Result<(), Error> {
    let weak = |why: String| Err(Error::new(ErrorCode::WeakPassword, why));
    let length = password.chars().count();
    if length < min_length {
        return weak(format!("password must be at least {min_length} characters"));
    }
    if length > MAX_PASSWORD_LENGTH {
        return weak(format!(
            "password must be at most {MAX_PASSWORD_LENGTH} characters"
        ));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return weak("password is one of the most common passwords".into());
    }
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return weak("password must not contain the username".into());
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return weak("password must use at least 4 different characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_rules() {
        assert!(check_strength("correct horse battery", "alice", 8).is_ok());
        for (password, why) in [
            ("short", "at least 8"),
            ("password123", "common"),
            ("alice-rocks-99", "username"),
            ("aaaaaaaaaaaa", "4 different"),
        ] {
            let err = check_strength(password, "alice", 8).unwrap_err();
            assert_eq!(err.code, ErrorCode::WeakPassword);
            assert!(err.message.contains(why), "{password}: {}", err.message);
        }
        assert!(check_strength(&"ab1!".repeat(200), "alice", 8).is_err());
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let config = AuthConfig {
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            ..AuthConfig::default()
        };
        let hasher = PasswordHasher::new(&config).unwrap();
        let phc = hasher.hash("correct horse").await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(hasher.verify("correct horse", &phc).await.unwrap());
        assert!(!hasher.verify("wrong horse", &phc).await.unwrap());
        assert!(!hasher.verify("correct horse", "not a hash").await.unwrap());
    }
}

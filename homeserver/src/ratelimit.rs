//! Fixed-window rate limits kept in memory: a counter per key that resets when its window
//! ends. Used for login and registration attempts.

use std::time::{Duration, Instant};

use moka::sync::Cache;

use crate::config::RateLimitConfig;
use crate::error::Error;

/// The limits on logging in and registering, as configured.
#[derive(Clone, Debug)]
pub struct Limits {
    config: RateLimitConfig,
    login: RateLimiter,
    register: RateLimiter,
}

impl Limits {
    pub fn new(config: &RateLimitConfig) -> Self {
        let window = Duration::from_secs(config.login_window_secs.max(1));
        Self {
            config: config.clone(),
            login: RateLimiter::new(window),
            register: RateLimiter::new(window),
        }
    }

    /// Every login attempt counts against its address; an account is refused once it has had
    /// too many failures in the window.
    pub fn login_attempt(&self, ip: Option<&str>, account: &str) -> Result<(), Error> {
        if let Some(ip) = ip {
            self.login
                .hit(&format!("ip:{ip}"), self.config.login_per_address)?;
        }
        self.login.check(
            &format!("account:{account}"),
            self.config.login_failures_per_account,
        )
    }

    pub fn login_failed(&self, account: &str) {
        self.login.record(&format!("account:{account}"));
    }

    pub fn register_by_address(&self, ip: &str) -> Result<(), Error> {
        self.register.hit(ip, self.config.register_per_address)
    }
}

/// Counts events per key within a window.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    window: Duration,
    /// key → (when its window started, events counted in it)
    counters: Cache<String, (Instant, u32)>,
}

impl RateLimiter {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            counters: Cache::builder()
                .max_capacity(1_000_000)
                .time_to_live(window)
                .build(),
        }
    }

    /// Fails with `RATE_LIMITED` (and the seconds until the window ends) if `key` has already
    /// reached `limit`; does not count.
    pub fn check(&self, key: &str, limit: u32) -> Result<(), Error> {
        match self.counters.get(key) {
            Some((start, count)) if count >= limit && start.elapsed() < self.window => {
                let left = self.window.saturating_sub(start.elapsed());
                Err(Error::rate_limited(left.as_secs().max(1)))
            }
            _ => Ok(()),
        }
    }

    /// Counts one event for `key`.
    pub fn record(&self, key: &str) {
        let window = self.window;
        self.counters
            .entry(key.to_owned())
            .and_upsert_with(|existing| match existing.map(|e| e.into_value()) {
                Some((start, count)) if start.elapsed() < window => {
                    (start, count.saturating_add(1))
                }
                _ => (Instant::now(), 1),
            });
    }

    /// Checks, then counts: for limits on every attempt rather than on failures.
    pub fn hit(&self, key: &str, limit: u32) -> Result<(), Error> {
        self.check(key, limit)?;
        self.record(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn limits_within_a_window_and_resets_after() {
        let limiter = RateLimiter::new(Duration::from_millis(200));
        for _ in 0..3 {
            limiter.hit("a", 3).unwrap();
        }
        let err = limiter.hit("a", 3).unwrap_err();
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert_eq!(err.retry_after, Some(1));
        limiter.hit("b", 3).unwrap();
        std::thread::sleep(Duration::from_millis(250));
        limiter.hit("a", 3).unwrap();
    }
}

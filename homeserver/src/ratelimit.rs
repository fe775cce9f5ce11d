//! Fixed-window rate limits kept in memory: a counter per key that resets when its window
//! ends. Used for login and registration attempts.

use std::time::{Duration, Instant};

use moka::ops::compute::Op;
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

    /// Every login attempt counts against its address.
    pub fn login_from_address(&self, ip: Option<&str>) -> Result<(), Error> {
        match ip {
            Some(ip) => self
                .login
                .hit(&format!("ip:{ip}"), self.config.login_per_address),
            None => Ok(()),
        }
    }

    /// An account is refused once it has had too many failures in the window. The attempt is
    /// counted as a failure before the password is checked, so that concurrent guesses cannot
    /// all slip under the limit; [`Self::login_not_failed`] takes it back. `account` must name
    /// the account the same way however the login named it (its user id).
    pub fn login_for_account(&self, account: &str) -> Result<(), Error> {
        self.login.hit(
            &format!("account:{account}"),
            self.config.login_failures_per_account,
        )
    }

    /// The attempt counted by [`Self::login_for_account`] did not fail on the password.
    pub fn login_not_failed(&self, account: &str) {
        self.login.take_back(&format!("account:{account}"));
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

    /// Counts one event for `key`, or fails with `RATE_LIMITED` (and the seconds until the
    /// window ends) if `key` has already reached `limit`. Checking and counting are one step
    /// (concurrent calls on a key run one after another), so that no more than `limit` events
    /// pass in a window however many arrive at once.
    pub fn hit(&self, key: &str, limit: u32) -> Result<(), Error> {
        let window = self.window;
        let mut refused = None;
        self.counters
            .entry(key.to_owned())
            .and_compute_with(|existing| match existing.map(|e| e.into_value()) {
                Some((start, count)) if start.elapsed() < window => {
                    if count >= limit {
                        refused = Some(window.saturating_sub(start.elapsed()));
                        Op::Nop
                    } else {
                        Op::Put((start, count.saturating_add(1)))
                    }
                }
                _ if limit == 0 => {
                    refused = Some(window);
                    Op::Nop
                }
                _ => Op::Put((Instant::now(), 1)),
            });
        match refused {
            Some(left) => Err(Error::rate_limited(left.as_secs().max(1))),
            None => Ok(()),
        }
    }

    /// Uncounts one event counted by [`Self::hit`] in the current window.
    pub fn take_back(&self, key: &str) {
        let window = self.window;
        self.counters
            .entry(key.to_owned())
            .and_compute_with(|existing| match existing.map(|e| e.into_value()) {
                Some((start, count)) if start.elapsed() < window && count > 0 => {
                    Op::Put((start, count - 1))
                }
                _ => Op::Nop,
            });
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

    #[test]
    fn a_hit_taken_back_does_not_count() {
        let limiter = RateLimiter::new(Duration::from_secs(60));
        for _ in 0..5 {
            limiter.hit("a", 1).unwrap();
            limiter.take_back("a");
        }
        limiter.hit("a", 1).unwrap();
        assert!(limiter.hit("a", 1).is_err());
        assert!(limiter.hit("zero", 0).is_err());
    }
}

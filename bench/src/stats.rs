//! Latency percentiles and the final JSON line.

use std::io::Write as _;

use serde_json::{Value, json};

/// The nearest-rank `p`th percentile (0 < p ≤ 100) of sorted samples.
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Microseconds as milliseconds, to the microsecond.
fn ms(us: u32) -> f64 {
    f64::from(us) / 1000.0
}

/// p50/p90/p99/max of latency samples in microseconds, as milliseconds (null if none).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    /// How many samples.
    pub count: usize,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl Summary {
    pub fn of(mut samples: Vec<u32>) -> Self {
        samples.sort_unstable();
        let at = |p| percentile(&samples, p).map(ms);
        Self {
            count: samples.len(),
            p50: at(50.0),
            p90: at(90.0),
            p99: at(99.0),
            max: samples.last().copied().map(ms),
        }
    }
}

/// `n / secs`, rounded to a tenth; null when there is no time to divide by.
pub fn per_second(n: u64, secs: f64) -> Value {
    if secs > 0.0 {
        json!(((n as f64 / secs) * 10.0).round() / 10.0)
    } else {
        Value::Null
    }
}

/// Writes the result as one line on stdout.
pub fn emit(report: &Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{report}")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&samples, 50.0), Some(50));
        assert_eq!(percentile(&samples, 99.0), Some(99));
        assert_eq!(percentile(&samples, 100.0), Some(100));
        assert_eq!(percentile(&samples, 0.1), Some(1));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[1, 2, 3], 50.0), Some(2));
    }

    #[test]
    fn summary_in_milliseconds() {
        let summary = Summary::of(vec![3000, 1000, 2000, 250_000]);
        assert_eq!(summary.p50, Some(2.0));
        assert_eq!(summary.p99, Some(250.0));
        assert_eq!(summary.max, Some(250.0));
        assert_eq!(Summary::of(Vec::new()), Summary::default());
    }

    #[test]
    fn rates() {
        assert_eq!(per_second(25, 2.0), json!(12.5));
        assert_eq!(per_second(1, 3.0), json!(0.3));
        assert_eq!(per_second(5, 0.0), Value::Null);
    }
}

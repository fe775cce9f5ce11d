//! Prometheus metrics: requests by route and status, a latency histogram by route, open
//! sockets, and connections refused or timed out. Rendered in the Prometheus text format at `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default, Debug)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's metrics. One per server, never global.
#[derive(Default, Debug)]
pub struct Metrics {
    /// (route, method, status) → requests
    requests: Mutex<BTreeMap<(&'static str, String, u16), u64>>,
    /// route → latency histogram
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    /// Open WebSocket connections.
    pub open_websockets: AtomicI64,
    /// Open HTTP connections, WebSockets included.
    pub open_connections: AtomicI64,
    /// Connections closed at once: their address already had `http.max_connections_per_address`.
    pub connections_refused: AtomicU64,
    /// Connections closed for a request head not sent in time, or for being idle.
    pub connections_timed_out: AtomicU64,
}

impl Metrics {
    /// Records one finished request. `route` is a fixed label (an operation id), never a raw path.
    pub fn record(&self, route: &'static str, method: &str, status: u16, elapsed: Duration) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *requests
            .entry((route, method.to_owned(), status))
            .or_default() += 1;
        drop(requests);
        let secs = elapsed.as_secs_f64();
        let mut latency = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let histogram = latency.entry(route).or_default();
        for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter_mut()) {
            if secs <= *bound {
                *count += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += secs;
    }

    /// The Prometheus text exposition of everything recorded so far.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP convo_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE convo_http_requests_total counter\n");
        for ((route, method, status), count) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "convo_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {count}"
            );
        }
        out.push_str("# HELP convo_http_request_duration_seconds HTTP request latency by route.\n");
        out.push_str("# TYPE convo_http_request_duration_seconds histogram\n");
        for (route, histogram) in self
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            for (bound, count) in BUCKETS.iter().zip(histogram.counts.iter()) {
                let _ = writeln!(
                    out,
                    "convo_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "convo_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "convo_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "convo_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                histogram.count
            );
        }
        out.push_str("# HELP convo_open_websockets Open WebSocket connections.\n");
        out.push_str("# TYPE convo_open_websockets gauge\n");
        let _ = writeln!(
            out,
            "convo_open_websockets {}",
            self.open_websockets.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP convo_http_open_connections Open HTTP connections, WebSockets included.\n",
        );
        out.push_str("# TYPE convo_http_open_connections gauge\n");
        let _ = writeln!(
            out,
            "convo_http_open_connections {}",
            self.open_connections.load(Ordering::Relaxed)
        );
        out.push_str("# HELP convo_http_connections_refused_total Connections closed at once: too many from their address.\n");
        out.push_str("# TYPE convo_http_connections_refused_total counter\n");
        let _ = writeln!(
            out,
            "convo_http_connections_refused_total {}",
            self.connections_refused.load(Ordering::Relaxed)
        );
        out.push_str("# HELP convo_http_connections_timed_out_total Connections closed for a slow request head or for being idle.\n");
        out.push_str("# TYPE convo_http_connections_timed_out_total counter\n");
        let _ = writeln!(
            out,
            "convo_http_connections_timed_out_total {}",
            self.connections_timed_out.load(Ordering::Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.record("login", "POST", 200, Duration::from_millis(3));
        metrics.record("login", "POST", 401, Duration::from_millis(30));
        let text = metrics.render();
        assert!(text.contains(
            "convo_http_requests_total{route=\"login\",method=\"POST\",status=\"200\"} 1"
        ));
        assert!(text.contains(
            "convo_http_requests_total{route=\"login\",method=\"POST\",status=\"401\"} 1"
        ));
        assert!(text.contains(
            "convo_http_request_duration_seconds_bucket{route=\"login\",le=\"0.005\"} 1"
        ));
        assert!(
            text.contains(
                "convo_http_request_duration_seconds_bucket{route=\"login\",le=\"0.05\"} 2"
            )
        );
        assert!(text.contains("convo_http_request_duration_seconds_count{route=\"login\"} 2"));
        assert!(text.contains("convo_open_websockets 0"));
    }
}

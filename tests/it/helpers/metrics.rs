//! Reading one gauge or counter from a server's `/metrics` (Prometheus text).

use std::net::SocketAddr;

/// The value of the sample named exactly `name` (no labels) at `addr`'s `/metrics`.
pub async fn metric_at(addr: SocketAddr, name: &str) -> i64 {
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|line| {
            let (sample, value) = line.split_once(' ')?;
            (sample == name).then(|| value.trim().parse::<i64>().ok())?
        })
        .unwrap_or_else(|| panic!("no sample {name} in:\n{text}"))
}

/// [`metric_at`] on a test server.
pub async fn metric(server: &super::TestServer, name: &str) -> i64 {
    metric_at(server.addr, name).await
}

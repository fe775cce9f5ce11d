//! `GET /healthz` (the process is alive), `GET /readyz` (the database answers) and
//! `GET /metrics` (Prometheus text).

use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Response, handler};

use crate::state::AppState;

#[handler]
pub fn healthz() -> &'static str {
    "ok"
}

#[handler]
pub async fn readyz(state: Data<&AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => "ready".into_response(),
        Err(err) => {
            tracing::warn!(cause = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

#[handler]
pub fn metrics(state: Data<&AppState>) -> Response {
    let mut text = state.metrics.render();
    text.push_str("# HELP convo_sequencer_cached_rooms Room states the sequencer holds in memory (at most rooms.cached_rooms, plus rooms being committed).\n");
    text.push_str("# TYPE convo_sequencer_cached_rooms gauge\n");
    text.push_str(&format!(
        "convo_sequencer_cached_rooms {}\n",
        state.rooms.cached_rooms()
    ));
    text.with_content_type("text/plain; version=0.0.4")
        .into_response()
}

//! Cross-cutting HTTP concerns: the middleware that gives every failure our error body and
//! records metrics, and the operational endpoints (`/healthz`, `/readyz`, `/metrics`).

pub mod acceptor;
pub mod body_limit;
pub mod client_addr;
pub mod guarded_io;
pub mod health;
pub mod metrics;
pub mod no_delay;
pub mod nul;

use std::sync::Arc;
use std::time::Instant;

use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::OperationId;

use crate::api::error::ApiError;
use crate::error::{Error, ErrorCode};
use metrics::Metrics;

/// Routes outside the OpenAPI document, with fixed metric labels; anything else is `other`.
const PLAIN_ROUTES: &[(&str, &str)] = &[
    ("/healthz", "healthz"),
    ("/readyz", "readyz"),
    ("/metrics", "metrics"),
    ("/api/v1/openapi.json", "openapi"),
    ("/api/docs", "docs"),
];

/// Wraps the whole app: refuses NUL characters in what reaches the database (see [`nul`];
/// REST bodies read up to `max_body_bytes`), turns framework errors (bad JSON, unknown route,
/// missing token…) into our error body with a stable code, and records the request in the
/// metrics.
pub async fn handle<E: Endpoint>(
    ep: Arc<E>,
    metrics: Arc<Metrics>,
    max_body_bytes: usize,
    req: Request,
) -> poem::Result<Response> {
    let start = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let plain = PLAIN_ROUTES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, label)| *label);
    let called = match nul::check_request(req, max_body_bytes).await {
        Ok(req) => ep.call(req).await.map(IntoResponse::into_response),
        Err(refused) => Err(refused),
    };
    let (response, operation) = match called {
        Ok(response) => {
            let operation = response.data::<OperationId>().map(|op| op.0);
            (response, operation)
        }
        Err(err) => {
            let operation = err.data::<OperationId>().map(|op| op.0);
            (error_response(err), operation)
        }
    };
    let route = operation.or(plain).unwrap_or("other");
    let status = response.status().as_u16();
    metrics.record(route, &method, status, start.elapsed());
    tracing::debug!(%method, %path, status, elapsed_ms = start.elapsed().as_millis() as u64, "request");
    Ok(response)
}

/// The response for one of our errors (the one error body, the code's status), for
/// endpoints outside the OpenAPI service such as the WebSocket upgrade.
pub fn error_body(err: Error) -> Response {
    ApiError::from(err).into_response()
}

/// Our own errors already carry their response; the framework's get a code from their status.
fn error_response(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::UNAUTHORIZED => ErrorCode::MissingToken,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedContentType,
        s if s.is_client_error() => ErrorCode::InvalidRequest,
        _ => {
            tracing::error!(cause = %err, "unhandled server error");
            return ApiError::from(Error::new(ErrorCode::Internal, "internal server error"))
                .into_response();
        }
    };
    let message = match code {
        ErrorCode::NotFound => "no such route".to_owned(),
        ErrorCode::MethodNotAllowed => "this route does not accept that method".to_owned(),
        ErrorCode::MissingToken => {
            "send an access token as `Authorization: Bearer <token>`".to_owned()
        }
        ErrorCode::PayloadTooLarge => "the request body is too large".to_owned(),
        ErrorCode::UnsupportedContentType => "send the body as application/json".to_owned(),
        _ => err.to_string(),
    };
    ApiError::from(Error::new(code, message)).into_response()
}

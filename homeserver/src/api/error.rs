//! The HTTP face of [`crate::error::Error`]: every error leaves as
//! `{"code": "STABLE_CODE", "message": "…"}` with the code's status. Each operation
//! documents the error statuses it can answer with ([`ApiResult`]'s second parameter).

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaResponses, Registry};
use poem_openapi::{ApiResponse, Object};

use crate::error::{Error, ErrorCode};

/// The one error body of the whole API.
#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    /// Stable, machine-readable error code.
    pub code: ErrorCode,
    /// Human-readable explanation; may change between versions.
    pub message: String,
}

/// Every error an operation can return.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed or a value is invalid.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Missing, invalid or expired credentials.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// Not allowed for this caller.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No such resource.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Wrong method for this route.
    #[oai(status = 405)]
    MethodNotAllowed(Json<ErrorBody>),
    /// Clashes with existing data, e.g. a username already taken.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The body is larger than the server accepts.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The body is not `application/json`.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// Rate limited; retry after `Retry-After` seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// A server fault; the cause is in the server's log.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The database is unreachable; retry later.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let status = err.code.status();
        let body = Json(ErrorBody {
            code: err.code,
            message: err.message,
        });
        match status {
            StatusCode::BAD_REQUEST => Self::BadRequest(body),
            StatusCode::UNAUTHORIZED => Self::Unauthorized(body),
            StatusCode::FORBIDDEN => Self::Forbidden(body),
            StatusCode::NOT_FOUND => Self::NotFound(body),
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed(body),
            StatusCode::CONFLICT => Self::Conflict(body),
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge(body),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType(body),
            StatusCode::TOO_MANY_REQUESTS => {
                Self::TooManyRequests(body, err.retry_after.unwrap_or(1))
            }
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable(body),
            _ => Self::Internal(body),
        }
    }
}

/// The error statuses an operation documents, as a set of bits (see [`statuses`]).
pub mod statuses {
    pub const BAD_REQUEST: u32 = 1 << 0;
    pub const UNAUTHORIZED: u32 = 1 << 1;
    pub const FORBIDDEN: u32 = 1 << 2;
    pub const NOT_FOUND: u32 = 1 << 3;
    pub const CONFLICT: u32 = 1 << 4;
    pub const PAYLOAD_TOO_LARGE: u32 = 1 << 5;
    pub const UNSUPPORTED_MEDIA_TYPE: u32 = 1 << 6;
    pub const TOO_MANY_REQUESTS: u32 = 1 << 7;
    pub const INTERNAL: u32 = 1 << 8;
    pub const UNAVAILABLE: u32 = 1 << 9;
    /// Any operation: a request the edge refuses (a NUL character in its path or query), a
    /// server fault, or the database unreachable.
    pub const ALWAYS: u32 = BAD_REQUEST | INTERNAL | UNAVAILABLE;
    /// Operations behind a bearer token: a missing, invalid, expired or revoked one.
    pub const AUTHED: u32 = ALWAYS | UNAUTHORIZED;
    /// Operations with a JSON body: malformed, too large, or not JSON.
    pub const BODY: u32 = BAD_REQUEST | PAYLOAD_TOO_LARGE | UNSUPPORTED_MEDIA_TYPE;

    /// The bit of an HTTP status, or 0 for a status no operation documents.
    pub fn of(status: u16) -> u32 {
        match status {
            400 => BAD_REQUEST,
            401 => UNAUTHORIZED,
            403 => FORBIDDEN,
            404 => NOT_FOUND,
            409 => CONFLICT,
            413 => PAYLOAD_TOO_LARGE,
            415 => UNSUPPORTED_MEDIA_TYPE,
            429 => TOO_MANY_REQUESTS,
            500 => INTERNAL,
            503 => UNAVAILABLE,
            _ => 0,
        }
    }
}

/// An [`ApiError`] from an operation that documents the error statuses in `S` (bits of
/// [`statuses`]) and no others. (405 and 404 for unknown routes come from the router, not
/// from an operation.)
#[derive(Debug)]
pub struct OpError<const S: u32>(pub ApiError);

impl<const S: u32> From<Error> for OpError<S> {
    #[track_caller]
    fn from(err: Error) -> Self {
        let status = err.code.status().as_u16();
        if statuses::of(status) & S == 0 {
            let location = std::panic::Location::caller();
            tracing::warn!(code = ?err.code, status, %location, "an operation answers with a status it does not document");
        }
        Self(ApiError::from(err))
    }
}

impl<const S: u32> IntoResponse for OpError<S> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl<const S: u32> From<OpError<S>> for poem::Error {
    fn from(err: OpError<S>) -> Self {
        err.0.into()
    }
}

impl<const S: u32> ApiResponse for OpError<S> {
    fn meta() -> MetaResponses {
        let mut meta = ApiError::meta();
        meta.responses
            .retain(|r| r.status.is_some_and(|status| statuses::of(status) & S != 0));
        meta
    }

    fn register(registry: &mut Registry) {
        ApiError::register(registry);
    }
}

/// What an operation returns: `T`, or an error with one of the statuses in `S`, e.g.
/// `ApiResult<Json<Profile>, { AUTHED | NOT_FOUND }>`.
pub type ApiResult<T, const S: u32> = Result<T, OpError<S>>;

#[cfg(test)]
mod tests {
    use super::statuses::{ALWAYS, AUTHED, BODY, NOT_FOUND, TOO_MANY_REQUESTS};
    use super::*;

    fn documented<const S: u32>() -> Vec<u16> {
        OpError::<S>::meta()
            .responses
            .iter()
            .filter_map(|r| r.status)
            .collect()
    }

    #[test]
    fn an_operation_documents_only_its_statuses() {
        assert_eq!(documented::<AUTHED>(), [400, 401, 500, 503]);
        assert_eq!(
            documented::<{ AUTHED | BODY | NOT_FOUND }>(),
            [400, 401, 404, 413, 415, 500, 503]
        );
        assert_eq!(
            documented::<{ ALWAYS | TOO_MANY_REQUESTS }>(),
            [400, 429, 500, 503]
        );
    }

    #[test]
    fn every_status_of_an_error_code_has_a_bit() {
        use poem_openapi::types::{ParseFromJSON, Type};
        let mut registry = Registry::new();
        ErrorCode::register(&mut registry);
        let codes = &registry.schemas["ErrorCode"].enum_items;
        assert!(codes.len() > 30);
        for code in codes {
            let code = ErrorCode::parse_from_json(Some(code.clone())).expect("a code");
            let status = code.status().as_u16();
            // 405 is the router's alone; no operation answers it.
            assert!(statuses::of(status) != 0 || status == 405, "{code:?}");
        }
    }
}

//! Bearer-token authentication for the API: the access token is checked (signature, expiry,
//! device not revoked) before the handler runs.

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

use crate::sessions::AuthSession;
use crate::state::AppState;

use super::error::ApiError;

/// An access token from `POST /auth/login` or `POST /auth/refresh`, as `Authorization: Bearer <token>`.
#[derive(Debug, SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check")]
pub struct BearerAuth(pub AuthSession);

async fn check(req: &Request, bearer: Bearer) -> poem::Result<AuthSession> {
    let state = req.data::<AppState>().ok_or_else(|| {
        poem::Error::from_string(
            "missing state",
            poem::http::StatusCode::INTERNAL_SERVER_ERROR,
        )
    })?;
    state
        .sessions
        .authenticate(&bearer.token)
        .await
        .map_err(|err| ApiError::from(err).into())
}

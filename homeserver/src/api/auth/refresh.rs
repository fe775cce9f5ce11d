//! `POST /api/v1/auth/refresh`: swap a refresh token for new tokens.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{ALWAYS, BODY, UNAUTHORIZED};
use crate::api::text::Text;
use crate::api::types::{ClientIp, TokenResponse};
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct RefreshRequest {
    #[oai(validator(max_length = 128))]
    pub refresh_token: Text,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Rotate the refresh token: returns a new access token and a new refresh token.
    ///
    /// Each refresh token works once. Presenting one that was already used logs its device out
    /// (`REFRESH_TOKEN_REUSED`), since a copy of it is in someone else's hands.
    #[oai(
        path = "/auth/refresh",
        method = "post",
        operation_id = "refresh",
        tag = "ApiTags::Auth"
    )]
    async fn refresh(
        &self,
        state: Data<&AppState>,
        client: ClientIp,
        body: Json<RefreshRequest>,
    ) -> ApiResult<Json<TokenResponse>, { ALWAYS | BODY | UNAUTHORIZED }> {
        let pair = state
            .sessions
            .refresh(&body.refresh_token, client.text())
            .await?;
        Ok(Json(pair.into()))
    }
}

//! `POST /api/v1/auth/logout`: end the calling device's session.

use poem::web::Data;
use poem_openapi::OpenApi;

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, NOT_FOUND};
use crate::api::security::BearerAuth;
use crate::api::types::NoContent;
use crate::state::AppState;

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Log out this device. Its access token and refresh token stop working at once.
    #[oai(
        path = "/auth/logout",
        method = "post",
        operation_id = "logout",
        tag = "ApiTags::Auth"
    )]
    async fn logout(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<NoContent, { AUTHED | NOT_FOUND }> {
        let session = auth.0;
        state
            .sessions
            .revoke(&session.user_id, &session.device_id)
            .await?;
        tracing::info!(user_id = %session.user_id, device_id = %session.device_id, "logged out");
        Ok(NoContent::Done)
    }
}

//! `POST /api/v1/auth/password`: change the password; every other device is logged out.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BODY};
use crate::api::security::BearerAuth;
use crate::api::text::Text;
use crate::api::types::NoContent;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct ChangePasswordRequest {
    #[oai(validator(max_length = 512))]
    pub current_password: Text,
    #[oai(validator(max_length = 512))]
    pub new_password: Text,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Change the password. The calling device stays logged in; all others are logged out.
    #[oai(
        path = "/auth/password",
        method = "post",
        operation_id = "change_password",
        tag = "ApiTags::Auth"
    )]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<ChangePasswordRequest>,
    ) -> ApiResult<NoContent, { AUTHED | BODY }> {
        let session = auth.0;
        state
            .accounts
            .change_password(&session.user_id, &body.current_password, &body.new_password)
            .await?;
        state
            .sessions
            .revoke_all(&session.user_id, Some(&session.device_id))
            .await?;
        tracing::info!(user_id = %session.user_id, "password changed; other devices logged out");
        Ok(NoContent::Done)
    }
}

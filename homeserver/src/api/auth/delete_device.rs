//! `DELETE /api/v1/auth/devices/{device_id}`: log out one of the caller's devices.

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BAD_REQUEST, NOT_FOUND};
use crate::api::security::BearerAuth;
use crate::api::types::NoContent;
use crate::state::AppState;

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Log out one of this account's devices (any of them, including this one).
    #[oai(
        path = "/auth/devices/:device_id",
        method = "delete",
        operation_id = "delete_device",
        tag = "ApiTags::Auth"
    )]
    async fn delete_device(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 64))] device_id: Path<String>,
    ) -> ApiResult<NoContent, { AUTHED | BAD_REQUEST | NOT_FOUND }> {
        state.sessions.revoke(&auth.0.user_id, &device_id).await?;
        Ok(NoContent::Done)
    }
}

//! `GET /api/v1/users/me`: the caller's own profile.

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::payload::Json;

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::AUTHED;
use crate::api::security::BearerAuth;
use crate::api::types::OwnProfile;
use crate::state::AppState;

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Get my profile, including private fields (email, phone).
    #[oai(
        path = "/users/me",
        method = "get",
        operation_id = "get_me",
        tag = "ApiTags::Users"
    )]
    async fn get_me(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<OwnProfile>, { AUTHED }> {
        let account = state.accounts.get_active(&auth.0.user_id).await?;
        Ok(Json(account.into()))
    }
}

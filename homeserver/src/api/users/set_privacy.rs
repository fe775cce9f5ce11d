//! `PUT /api/v1/users/me/privacy`: who sees my last seen.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BODY};
use crate::api::security::BearerAuth;
use crate::api::types::{LastSeenVisibility, OwnProfile};
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct PrivacyRequest {
    /// `everyone` or `nobody`. With `nobody`, others see only online or offline.
    pub last_seen: LastSeenVisibility,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Set my privacy settings; returns my profile.
    #[oai(
        path = "/users/me/privacy",
        method = "put",
        operation_id = "set_privacy",
        tag = "ApiTags::Users"
    )]
    async fn set_privacy(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<PrivacyRequest>,
    ) -> ApiResult<Json<OwnProfile>, { AUTHED | BODY }> {
        let visible = body.last_seen == LastSeenVisibility::Everyone;
        state
            .accounts
            .set_last_seen_visible(&auth.0.user_id, visible)
            .await?;
        Ok(Json(
            state.accounts.get_active(&auth.0.user_id).await?.into(),
        ))
    }
}

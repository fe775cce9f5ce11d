//! `PUT /api/v1/users/me`: change the caller's profile.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::accounts::ProfileUpdate;
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::security::BearerAuth;
use crate::api::text::Text;
use crate::api::types::OwnProfile;
use crate::state::AppState;

/// Fields to change. A field left out stays as it is; an empty string clears it.
#[derive(Debug, Object)]
pub struct UpdateProfileRequest {
    /// At most 64 characters.
    #[oai(validator(max_length = 256))]
    pub display_name: Option<Text>,
    /// Status text, at most 280 characters.
    #[oai(validator(max_length = 1024))]
    pub about: Option<Text>,
    /// An `https://`, `http://` or `convo://` URL.
    #[oai(validator(max_length = 1024))]
    pub avatar_url: Option<Text>,
    #[oai(validator(max_length = 254))]
    pub email: Option<Text>,
    /// International format: `+` and 7–15 digits.
    #[oai(validator(max_length = 32))]
    pub phone: Option<Text>,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Update my profile and contact details; returns the updated profile.
    #[oai(
        path = "/users/me",
        method = "put",
        operation_id = "update_me",
        tag = "ApiTags::Users"
    )]
    async fn update_me(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<UpdateProfileRequest>,
    ) -> ApiResult<Json<OwnProfile>> {
        let body = body.0;
        let account = state
            .accounts
            .update_profile(
                &auth.0.user_id,
                ProfileUpdate {
                    display_name: body.display_name.map(String::from),
                    about: body.about.map(String::from),
                    avatar_url: body.avatar_url.map(String::from),
                    email: body.email.map(String::from),
                    phone: body.phone.map(String::from),
                },
            )
            .await?;
        Ok(Json(account.into()))
    }
}

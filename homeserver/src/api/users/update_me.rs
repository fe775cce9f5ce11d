//! `PUT /api/v1/users/me`: change the caller's profile.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};

use crate::accounts::ProfileUpdate;
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BODY, CONFLICT};
use crate::api::security::BearerAuth;
use crate::api::text::Text;
use crate::api::types::OwnProfile;
use crate::state::AppState;

/// Fields to change. A field left out stays as it is; `null` or an empty string clears it.
#[derive(Debug, Object)]
pub struct UpdateProfileRequest {
    /// At most 64 characters.
    #[oai(nullable, validator(max_length = 256))]
    pub display_name: MaybeUndefined<Text>,
    /// Status text, at most 280 characters.
    #[oai(nullable, validator(max_length = 1024))]
    pub about: MaybeUndefined<Text>,
    /// An `https://`, `http://` or `convo://` URL.
    #[oai(nullable, validator(max_length = 1024))]
    pub avatar_url: MaybeUndefined<Text>,
    #[oai(nullable, validator(max_length = 254))]
    pub email: MaybeUndefined<Text>,
    /// International format: `+` and 7–15 digits.
    #[oai(nullable, validator(max_length = 32))]
    pub phone: MaybeUndefined<Text>,
}

/// What the accounts service takes for one field: `None` keeps it, an empty string clears it.
fn change(field: MaybeUndefined<Text>) -> Option<String> {
    match field {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(String::new()),
        MaybeUndefined::Value(text) => Some(text.into()),
    }
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
    ) -> ApiResult<Json<OwnProfile>, { AUTHED | BODY | CONFLICT }> {
        let body = body.0;
        let account = state
            .accounts
            .update_profile(
                &auth.0.user_id,
                ProfileUpdate {
                    display_name: change(body.display_name),
                    about: change(body.about),
                    avatar_url: change(body.avatar_url),
                    email: change(body.email),
                    phone: change(body.phone),
                },
            )
            .await?;
        Ok(Json(account.into()))
    }
}

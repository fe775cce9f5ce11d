//! `GET /api/v1/users/{user_id}`: another user's public profile.

use convo_federation::UserId;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BAD_REQUEST, NOT_FOUND};
use crate::api::nullable::Nullable;
use crate::api::security::BearerAuth;
use crate::error::{Error, ErrorCode};
use crate::state::AppState;

/// What anyone signed in may see of a user.
#[derive(Debug, Object)]
pub struct PublicProfile {
    pub user_id: String,
    /// `null` when not set (as for `about` and `avatar_url`), and for a deactivated account.
    pub display_name: Nullable<String>,
    pub about: Nullable<String>,
    pub avatar_url: Nullable<String>,
    /// A deactivated account keeps its id but shows nothing else.
    pub deactivated: bool,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Get a user's public profile by full user id (`@name:server`).
    #[oai(
        path = "/users/:user_id",
        method = "get",
        operation_id = "get_user",
        tag = "ApiTags::Users"
    )]
    async fn get_user(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        #[oai(validator(max_length = 255))] user_id: Path<String>,
    ) -> ApiResult<Json<PublicProfile>, { AUTHED | BAD_REQUEST | NOT_FOUND }> {
        let user_id = UserId::parse(&user_id)
            .map_err(|e| Error::new(ErrorCode::InvalidUserId, format!("not a user id: {e}")))?;
        let not_found = || Error::new(ErrorCode::UserNotFound, "no such user");
        // Profiles on other servers arrive with federation.
        let account = state.accounts.get(&user_id).await?.ok_or_else(not_found)?;
        Ok(Json(PublicProfile {
            user_id: account.user_id,
            display_name: account.display_name.into(),
            about: account.about.into(),
            avatar_url: account.avatar_url.into(),
            deactivated: account.deactivated_at.is_some(),
        }))
    }
}

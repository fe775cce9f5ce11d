//! `POST /api/v1/rooms/direct`: open the direct chat with someone.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::types;
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BODY, NOT_FOUND};
use crate::api::security::BearerAuth;
use crate::api::text::Text;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct OpenDirectRequest {
    #[oai(validator(max_length = 255))]
    pub user_id: Text,
}

#[derive(Debug, Object)]
pub struct DirectRoom {
    pub room_id: String,
    /// False when the chat already existed.
    pub created: bool,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Open a direct chat: returns the existing one with this person, or creates it.
    #[oai(
        path = "/rooms/direct",
        method = "post",
        operation_id = "open_direct",
        tag = "ApiTags::Rooms"
    )]
    async fn open_direct(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<OpenDirectRequest>,
    ) -> ApiResult<Json<DirectRoom>, { AUTHED | BODY | NOT_FOUND }> {
        let other = types::user_id(&body.user_id)?;
        let (room_id, created) = state.rooms.open_direct(&auth.0.user_id, &other).await?;
        Ok(Json(DirectRoom {
            room_id: room_id.to_string(),
            created,
        }))
    }
}

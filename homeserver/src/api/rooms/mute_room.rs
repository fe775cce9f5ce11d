//! `PUT /api/v1/rooms/{room_id}/mute`: turn a chat's notifications off or on.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::types;
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BODY, NOT_FOUND};
use crate::api::security::BearerAuth;
use crate::api::types::NoContent;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct MuteRequest {
    pub muted: bool,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Mute or unmute a chat: muted chats produce no notification events for me.
    #[oai(
        path = "/rooms/:room_id/mute",
        method = "put",
        operation_id = "mute_room",
        tag = "ApiTags::Rooms"
    )]
    async fn mute_room(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        body: Json<MuteRequest>,
    ) -> ApiResult<NoContent, { AUTHED | BODY | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        state
            .rooms
            .set_muted(&auth.0.user_id, &room_id, body.muted)
            .await?;
        Ok(NoContent::Done)
    }
}

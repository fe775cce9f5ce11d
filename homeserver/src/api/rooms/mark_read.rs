//! `POST /api/v1/rooms/{room_id}/read`: move my read position.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::types;
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BODY, NOT_FOUND};
use crate::api::security::BearerAuth;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct ReadRequest {
    /// I have read everything up to this seq. Positions never move back; a seq past the
    /// last event I can see counts as that event's.
    pub seq: i64,
}

#[derive(Debug, Object)]
pub struct ReadPosition {
    pub read_up_to: i64,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Mark a chat read up to a seq. Senders see it as read ticks; my other devices' unread
    /// counts clear.
    #[oai(
        path = "/rooms/:room_id/read",
        method = "post",
        operation_id = "mark_read",
        tag = "ApiTags::Rooms"
    )]
    async fn mark_read(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        body: Json<ReadRequest>,
    ) -> ApiResult<Json<ReadPosition>, { AUTHED | BODY | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let read_up_to = state
            .rooms
            .mark_read(&auth.0.user_id, &room_id, body.seq)
            .await?;
        Ok(Json(ReadPosition { read_up_to }))
    }
}

//! `GET /api/v1/rooms`: the caller's chats, most recently active first.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::AUTHED;
use crate::api::security::BearerAuth;
use crate::state::AppState;
use crate::wire::RoomSummary;

#[derive(Debug, Object)]
pub struct RoomList {
    pub rooms: Vec<RoomSummary>,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// List my chats with their last message, unread count, my read position and the other
    /// members' delivered/read positions. The gateway's snapshot carries the same entries.
    #[oai(
        path = "/rooms",
        method = "get",
        operation_id = "list_rooms",
        tag = "ApiTags::Rooms"
    )]
    async fn list_rooms(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<RoomList>, { AUTHED }> {
        let me = &auth.0.user_id;
        let rooms = state.rooms.list(me).await?;
        Ok(Json(RoomList {
            rooms: rooms.into_iter().map(|r| RoomSummary::new(r, me)).collect(),
        }))
    }
}

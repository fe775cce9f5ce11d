//! `GET /api/v1/rooms`: the caller's chats, most recently active first.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::types::RoomEvent;
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::AUTHED;
use crate::api::nullable::Nullable;
use crate::api::security::BearerAuth;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct RoomSummary {
    pub room_id: String,
    /// `direct` or `group`.
    pub kind: String,
    /// `null` for direct chats (as are topic and avatar when not set).
    pub name: Nullable<String>,
    pub topic: Nullable<String>,
    pub avatar_url: Nullable<String>,
    /// Direct chats: the other person; `null` for groups.
    pub peer: Nullable<String>,
    /// `owner`, `admin` or `member`.
    pub role: String,
    /// False once the caller left or was removed (they keep what they saw until then).
    pub joined: bool,
    pub muted: bool,
    /// The newest message the caller can see; `null` if none.
    pub last_message: Nullable<RoomEvent>,
    /// The newest seq the caller can see.
    pub last_seq: i64,
    /// Messages from others after the caller's read position.
    pub unread_count: i64,
    /// The caller's read position (a seq).
    pub read_up_to: i64,
}

#[derive(Debug, Object)]
pub struct RoomList {
    pub rooms: Vec<RoomSummary>,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// List my chats with their last message, unread count and my read position.
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
        let rooms = state.rooms.list(&auth.0.user_id).await?;
        let rooms = rooms
            .into_iter()
            .map(|r| RoomSummary {
                room_id: r.room_id,
                kind: r.kind,
                name: r.name.into(),
                topic: r.topic.into(),
                avatar_url: r.avatar_url.into(),
                peer: r.peer.into(),
                role: r.membership.role,
                joined: r.membership.joined,
                muted: r.membership.muted,
                last_message: r
                    .last_message
                    .map(|m| RoomEvent::from_stored(m, None))
                    .into(),
                last_seq: r.last_seq,
                unread_count: r.unread_count,
                read_up_to: r.membership.read_up_to,
            })
            .collect();
        Ok(Json(RoomList { rooms }))
    }
}

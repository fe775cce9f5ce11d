//! `GET /api/v1/rooms/{room_id}`: chat details: settings and members with roles.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::types;
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BAD_REQUEST, NOT_FOUND};
use crate::api::nullable::Nullable;
use crate::api::security::BearerAuth;
use crate::state::AppState;
use crate::wire::content::{Role, RoomKind};

#[derive(Debug, Object)]
pub struct Member {
    pub user_id: String,
    pub role: Role,
    /// ms since the Unix epoch.
    pub joined_at: i64,
}

#[derive(Debug, Object)]
pub struct RoomDetails {
    pub room_id: String,
    pub kind: RoomKind,
    /// `null` for direct chats (as are topic and avatar when not set).
    pub name: Nullable<String>,
    pub topic: Nullable<String>,
    pub avatar_url: Nullable<String>,
    pub created_by: String,
    pub created_at: i64,
    /// Members: owner first, then admins, then by join time. For someone who left: the
    /// members and settings as they were when they left.
    pub members: Vec<Member>,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Get a chat's details (for anyone who is or was in it).
    #[oai(
        path = "/rooms/:room_id",
        method = "get",
        operation_id = "get_room",
        tag = "ApiTags::Rooms"
    )]
    async fn get_room(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
    ) -> ApiResult<Json<RoomDetails>, { AUTHED | BAD_REQUEST | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let d = state.rooms.details(&auth.0.user_id, &room_id).await?;
        Ok(Json(RoomDetails {
            room_id: d.room_id.into(),
            kind: d.kind.into(),
            name: d.view.name.into(),
            topic: d.view.topic.into(),
            avatar_url: d.view.avatar_url.into(),
            created_by: d.created_by.into(),
            created_at: d.created_at,
            members: d
                .view
                .members
                .into_iter()
                .map(|(user_id, role, joined_at)| Member {
                    user_id: user_id.into(),
                    role: role.into(),
                    joined_at,
                })
                .collect(),
        }))
    }
}

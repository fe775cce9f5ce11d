//! `POST /api/v1/rooms`: create a group.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::types;
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BODY, CONFLICT, NOT_FOUND};
use crate::api::security::BearerAuth;
use crate::api::text::Text;
use crate::state::AppState;
use poem_openapi::ApiResponse;

#[derive(Debug, Object)]
pub struct CreateGroupRequest {
    /// 1–64 characters.
    #[oai(validator(max_length = 256))]
    pub name: Text,
    /// Optional, as is the avatar; `null` is the same as leaving it out.
    #[oai(nullable, validator(max_length = 2048))]
    pub topic: Option<Text>,
    #[oai(nullable, validator(max_length = 1024))]
    pub avatar_url: Option<Text>,
    /// Users to add besides the creator, who becomes the owner.
    #[oai(validator(max_items = 1024))]
    pub members: Vec<Text>,
}

#[derive(Debug, Object)]
pub struct CreatedRoom {
    pub room_id: String,
}

#[derive(Debug, ApiResponse)]
pub enum CreateGroupResponse {
    /// The group exists; its first events (creation, members added) are in its timeline.
    #[oai(status = 201)]
    Created(Json<CreatedRoom>),
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Create a group owned by the caller.
    #[oai(
        path = "/rooms",
        method = "post",
        operation_id = "create_group",
        tag = "ApiTags::Rooms"
    )]
    async fn create_group(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<CreateGroupRequest>,
    ) -> ApiResult<CreateGroupResponse, { AUTHED | BODY | NOT_FOUND | CONFLICT }> {
        let body = body.0;
        let members = body
            .members
            .iter()
            .map(|m| types::user_id(m))
            .collect::<Result<Vec<_>, _>>()?;
        let room_id = state
            .rooms
            .create_group(
                &auth.0.user_id,
                &body.name,
                body.topic.as_deref(),
                body.avatar_url.as_deref(),
                members,
            )
            .await?;
        Ok(CreateGroupResponse::Created(Json(CreatedRoom {
            room_id: room_id.to_string(),
        })))
    }
}

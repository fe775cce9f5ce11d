//! `DELETE /api/v1/rooms/{room_id}/members/{user_id}`: remove someone from a group.

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;

use super::types::{self, EventAck};
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BAD_REQUEST, FORBIDDEN, NOT_FOUND};
use crate::api::security::BearerAuth;
use crate::rooms::model::Action;
use crate::state::AppState;

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Remove a member from a group (admins remove members; the owner removes anyone). They keep what they saw until now.
    #[oai(
        path = "/rooms/:room_id/members/:user_id",
        method = "delete",
        operation_id = "remove_member",
        tag = "ApiTags::Rooms"
    )]
    async fn remove_member(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        #[oai(validator(max_length = 255))] user_id: Path<String>,
    ) -> ApiResult<Json<EventAck>, { AUTHED | BAD_REQUEST | FORBIDDEN | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let action = Action::RemoveMember {
            user: types::user_id(&user_id)?,
        };
        let committed = state
            .rooms
            .act(&auth.0.user_id, &room_id, None, action)
            .await?;
        Ok(Json(EventAck::from(&*committed)))
    }
}

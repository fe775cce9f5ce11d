//! `DELETE /api/v1/rooms/{room_id}`: delete a group for everyone.

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
    /// Delete a group (owner only): everyone is removed; members keep the history they saw.
    #[oai(
        path = "/rooms/:room_id",
        method = "delete",
        operation_id = "delete_group",
        tag = "ApiTags::Rooms"
    )]
    async fn delete_group(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
    ) -> ApiResult<Json<EventAck>, { AUTHED | BAD_REQUEST | FORBIDDEN | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let action = Action::DeleteGroup;
        let committed = state
            .rooms
            .act(&auth.0.user_id, &room_id, None, action)
            .await?;
        Ok(Json(EventAck::from(&*committed)))
    }
}

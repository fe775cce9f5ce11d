//! `DELETE /api/v1/rooms/{room_id}/messages/{event_id}`: delete a message for everyone.

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
    /// Delete a message for everyone (the sender, or a group admin): a tombstone replaces its content.
    #[oai(
        path = "/rooms/:room_id/messages/:event_id",
        method = "delete",
        operation_id = "delete_message",
        tag = "ApiTags::Rooms"
    )]
    async fn delete_message(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        #[oai(validator(max_length = 255))] event_id: Path<String>,
    ) -> ApiResult<Json<EventAck>, { AUTHED | BAD_REQUEST | FORBIDDEN | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let action = Action::Delete {
            target: types::event_id(&event_id)?,
        };
        let committed = state
            .rooms
            .act(&auth.0.user_id, &room_id, None, action)
            .await?;
        Ok(Json(EventAck::from(&*committed)))
    }
}

//! `POST /api/v1/rooms/{room_id}/messages/{event_id}/delete-for-me`: delete a message for myself.

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;

use super::types;
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BAD_REQUEST, NOT_FOUND};
use crate::api::security::BearerAuth;
use crate::api::types::NoContent;
use crate::state::AppState;

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Delete a message for me only: it disappears from my history.
    #[oai(
        path = "/rooms/:room_id/messages/:event_id/delete-for-me",
        method = "post",
        operation_id = "delete_message_for_me",
        tag = "ApiTags::Rooms"
    )]
    async fn delete_message_for_me(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        #[oai(validator(max_length = 255))] event_id: Path<String>,
    ) -> ApiResult<NoContent, { AUTHED | BAD_REQUEST | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let event_id = types::event_id(&event_id)?;
        state
            .rooms
            .delete_message_for_me(&auth.0.user_id, &room_id, &event_id)
            .await?;
        Ok(NoContent::Done)
    }
}

//! `PUT /api/v1/rooms/{room_id}/messages/{event_id}`: edit my message.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::types::{self, EventAck};
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BODY, FORBIDDEN, NOT_FOUND};
use crate::api::security::BearerAuth;
use crate::api::text::Text;
use crate::rooms::model::Action;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct EditMessageRequest {
    #[oai(validator(max_length = 64))]
    pub txn_id: Text,
    #[oai(validator(max_length = 65536))]
    pub text: Text,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Edit one of my messages; everyone sees the new text, marked edited.
    #[oai(
        path = "/rooms/:room_id/messages/:event_id",
        method = "put",
        operation_id = "edit_message",
        tag = "ApiTags::Rooms"
    )]
    async fn edit_message(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        #[oai(validator(max_length = 255))] event_id: Path<String>,
        body: Json<EditMessageRequest>,
    ) -> ApiResult<Json<EventAck>, { AUTHED | BODY | FORBIDDEN | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let body = body.0;
        let action = Action::Edit {
            target: types::event_id(&event_id)?,
            text: body.text.into(),
        };
        let committed = state
            .rooms
            .act(
                &auth.0.user_id,
                &room_id,
                Some(body.txn_id.clone().into()),
                action,
            )
            .await?;
        Ok(Json(EventAck::from(&*committed)))
    }
}

//! `POST /api/v1/rooms/{room_id}/messages`: send a message.

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
pub struct SendMessageRequest {
    /// Chosen by the client, unique per room and sender.
    #[oai(validator(max_length = 64))]
    pub txn_id: Text,
    #[oai(validator(max_length = 65536))]
    pub text: Text,
    /// The event id of the message this answers; `null` is the same as leaving it out.
    #[oai(nullable, validator(max_length = 64))]
    pub reply_to: Option<Text>,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Send a text message, optionally as a reply. Idempotent by `txn_id`: a retry returns the first answer. Answers once the message is durably stored.
    #[oai(
        path = "/rooms/:room_id/messages",
        method = "post",
        operation_id = "send_message",
        tag = "ApiTags::Rooms"
    )]
    async fn send_message(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        body: Json<SendMessageRequest>,
    ) -> ApiResult<Json<EventAck>, { AUTHED | BODY | FORBIDDEN | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let body = body.0;
        let action = Action::Message {
            text: body.text.into(),
            reply_to: body.reply_to.as_deref().map(types::event_id).transpose()?,
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

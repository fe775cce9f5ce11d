//! `PUT /api/v1/rooms/{room_id}/messages/{event_id}/reaction`: set or remove my reaction.

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
pub struct ReactRequest {
    #[oai(validator(max_length = 64))]
    pub txn_id: Text,
    #[oai(validator(max_length = 64))]
    pub emoji: Text,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Set my reaction to a message (one per user; a new one replaces it); an empty emoji removes it.
    #[oai(
        path = "/rooms/:room_id/messages/:event_id/reaction",
        method = "put",
        operation_id = "react",
        tag = "ApiTags::Rooms"
    )]
    async fn react(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        #[oai(validator(max_length = 255))] event_id: Path<String>,
        body: Json<ReactRequest>,
    ) -> ApiResult<Json<EventAck>, { AUTHED | BODY | FORBIDDEN | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let body = body.0;
        let action = Action::React {
            target: types::event_id(&event_id)?,
            emoji: body.emoji.clone().into(),
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

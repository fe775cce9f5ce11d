//! `POST /api/v1/rooms/{room_id}/members`: add someone to a group.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::types::{self, EventAck};
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BODY, CONFLICT, FORBIDDEN, NOT_FOUND};
use crate::api::security::BearerAuth;
use crate::api::text::Text;
use crate::rooms::model::Action;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct AddMemberRequest {
    /// Retrying with the same id never adds twice. Optional; `null` is the same as leaving
    /// it out.
    #[oai(nullable, validator(max_length = 64))]
    pub txn_id: Option<Text>,
    #[oai(validator(max_length = 255))]
    pub user_id: Text,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Add a member to a group (admins).
    #[oai(
        path = "/rooms/:room_id/members",
        method = "post",
        operation_id = "add_member",
        tag = "ApiTags::Rooms"
    )]
    async fn add_member(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        body: Json<AddMemberRequest>,
    ) -> ApiResult<Json<EventAck>, { AUTHED | BODY | FORBIDDEN | NOT_FOUND | CONFLICT }> {
        let room_id = types::room_id(&room_id)?;
        let body = body.0;
        let action = Action::AddMember {
            user: types::user_id(&body.user_id)?,
        };
        let committed = state
            .rooms
            .act(
                &auth.0.user_id,
                &room_id,
                body.txn_id.map(String::from),
                action,
            )
            .await?;
        Ok(Json(EventAck::from(&*committed)))
    }
}

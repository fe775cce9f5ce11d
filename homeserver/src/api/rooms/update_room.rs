//! `PUT /api/v1/rooms/{room_id}`: change a group's name, topic or avatar.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};

use super::types::{self, EventAck};
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BODY, FORBIDDEN, NOT_FOUND};
use crate::api::security::BearerAuth;
use crate::api::text::Text;
use crate::rooms::model::{Action, SettingsChange};
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct UpdateRoomRequest {
    /// Retrying with the same id never applies the change twice. Optional; `null` is the
    /// same as leaving it out.
    #[oai(nullable, validator(max_length = 64))]
    pub txn_id: Option<Text>,
    /// A group always has a name: `null` or an empty one is refused.
    #[oai(validator(max_length = 256))]
    pub name: MaybeUndefined<Text>,
    /// `null` or an empty string clears it.
    #[oai(nullable, validator(max_length = 2048))]
    pub topic: MaybeUndefined<Text>,
    /// `null` or an empty string clears it.
    #[oai(nullable, validator(max_length = 1024))]
    pub avatar_url: MaybeUndefined<Text>,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Change group settings (admins). A field left out stays; `null` or an empty string clears topic or avatar.
    #[oai(
        path = "/rooms/:room_id",
        method = "put",
        operation_id = "update_room",
        tag = "ApiTags::Rooms"
    )]
    async fn update_room(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        body: Json<UpdateRoomRequest>,
    ) -> ApiResult<Json<EventAck>, { AUTHED | BODY | FORBIDDEN | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let body = body.0;
        // Left out: unchanged (`None`); `null`: cleared (`Some(None)`).
        let change = |field: MaybeUndefined<Text>| {
            Option::<Option<Text>>::from(field).map(|v| v.map(String::from))
        };
        let action = Action::Settings(SettingsChange {
            name: change(body.name),
            topic: change(body.topic),
            avatar_url: change(body.avatar_url),
        });
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

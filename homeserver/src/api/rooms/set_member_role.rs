//! `PUT /api/v1/rooms/{room_id}/members/{user_id}/role`: make someone admin, member or owner.

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
use crate::error::{Error, ErrorCode};
use crate::rooms::model::{Action, Role};
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct SetMemberRoleRequest {
    /// Retrying with the same id never applies the change twice. Optional; `null` is the
    /// same as leaving it out.
    #[oai(nullable, validator(max_length = 64))]
    pub txn_id: Option<Text>,
    /// `owner`, `admin` or `member`.
    #[oai(validator(max_length = 16))]
    pub role: Text,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Change a member's role (owner only). Making someone `owner` hands ownership over; the old owner becomes an admin.
    #[oai(
        path = "/rooms/:room_id/members/:user_id/role",
        method = "put",
        operation_id = "set_member_role",
        tag = "ApiTags::Rooms"
    )]
    async fn set_member_role(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        #[oai(validator(max_length = 255))] user_id: Path<String>,
        body: Json<SetMemberRoleRequest>,
    ) -> ApiResult<Json<EventAck>, { AUTHED | BODY | FORBIDDEN | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let body = body.0;
        let action = Action::SetRole {
            user: types::user_id(&user_id)?,
            role: Role::parse(&body.role).ok_or_else(|| {
                Error::new(
                    ErrorCode::InvalidRequest,
                    "role must be owner, admin or member",
                )
            })?,
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

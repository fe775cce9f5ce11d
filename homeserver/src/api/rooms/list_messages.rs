//! `GET /api/v1/rooms/{room_id}/messages`: a page of history.

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::types::{self, RoomEvent};
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BAD_REQUEST, NOT_FOUND};
use crate::api::nullable::Nullable;
use crate::api::security::BearerAuth;
use crate::error::{Error, ErrorCode};
use crate::rooms::store::Page;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct MessagePage {
    /// Events in ascending `seq` order.
    pub events: Vec<RoomEvent>,
    /// Pass as `before` for the previous page; `null` at the start of what you can see.
    pub prev_before: Nullable<i64>,
    /// The caller's read position in this room.
    pub read_up_to: i64,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Read history: the newest events, or those `before` or `after` a seq. Only what the
    /// caller may see: from when they joined (or cleared the chat) until they left.
    #[oai(
        path = "/rooms/:room_id/messages",
        method = "get",
        operation_id = "list_messages",
        tag = "ApiTags::Rooms"
    )]
    async fn list_messages(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        /// Only events with a smaller seq (newest first, returned ascending).
        #[oai(validator(minimum(value = "1")))]
        before: Query<Option<i64>>,
        /// Only events with a larger seq (oldest first).
        #[oai(validator(minimum(value = "0")))]
        after: Query<Option<i64>>,
        /// How many; at most the server's page limit (200 by default).
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "1000"))
        )]
        limit: Query<u32>,
    ) -> ApiResult<Json<MessagePage>, { AUTHED | BAD_REQUEST | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let page = match (before.0, after.0) {
            (Some(_), Some(_)) => {
                return Err(Error::new(
                    ErrorCode::InvalidRequest,
                    "give `before` or `after`, not both",
                )
                .into());
            }
            (Some(seq), None) => Page::Before(seq),
            (None, Some(seq)) => Page::After(seq),
            (None, None) => Page::Latest,
        };
        let page = state
            .rooms
            .history(&auth.0.user_id, &room_id, page, limit.0)
            .await?;
        let first_visible = page.membership.first_visible();
        let prev_before = page
            .events
            .first()
            .map(|e| e.event.seq)
            .filter(|seq| *seq > first_visible);
        let me = &auth.0.user_id;
        let events = page
            .events
            .into_iter()
            .map(|stored| {
                let reactions = page.reactions.get(&stored.event.event_id);
                RoomEvent::new(stored, reactions, me)
            })
            .collect();
        Ok(Json(MessagePage {
            events,
            prev_before: prev_before.into(),
            read_up_to: page.membership.read_up_to,
        }))
    }
}

fn default_limit() -> u32 {
    50
}

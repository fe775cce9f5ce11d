//! `GET /api/v1/rooms/{room_id}/messages/{event_id}/receipts`: who has a message, who read it.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::types;
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BAD_REQUEST, NOT_FOUND};
use crate::api::nullable::Nullable;
use crate::api::security::BearerAuth;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct Receipt {
    pub user_id: String,
    /// When it reached one of their devices (ms since the epoch); `null`: not yet.
    pub delivered_at: Nullable<i64>,
    /// When they read it; `null`: not yet.
    pub read_at: Nullable<i64>,
}

#[derive(Debug, Object)]
pub struct ReceiptList {
    /// Every member who could see the message, except its sender.
    pub receipts: Vec<Receipt>,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Delivery and read state of a message, per recipient.
    #[oai(
        path = "/rooms/:room_id/messages/:event_id/receipts",
        method = "get",
        operation_id = "get_receipts",
        tag = "ApiTags::Rooms"
    )]
    async fn get_receipts(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(max_length = 255))] room_id: Path<String>,
        #[oai(validator(max_length = 255))] event_id: Path<String>,
    ) -> ApiResult<Json<ReceiptList>, { AUTHED | BAD_REQUEST | NOT_FOUND }> {
        let room_id = types::room_id(&room_id)?;
        let event_id = types::event_id(&event_id)?;
        let receipts = state
            .rooms
            .receipts(&auth.0.user_id, &room_id, &event_id)
            .await?;
        Ok(Json(ReceiptList {
            receipts: receipts
                .into_iter()
                .map(|r| Receipt {
                    user_id: r.user_id.into(),
                    delivered_at: r.delivered_at.into(),
                    read_at: r.read_at.into(),
                })
                .collect(),
        }))
    }
}

//! `GET /api/v1/auth/devices`: the caller's logged-in devices.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::AUTHED;
use crate::api::nullable::Nullable;
use crate::api::security::BearerAuth;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct DeviceInfo {
    pub device_id: String,
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// When the device last logged in or refreshed its tokens (ms since the epoch).
    pub last_seen_at: i64,
    /// The address it last logged in or refreshed from; `null` when unknown.
    pub last_seen_ip: Nullable<String>,
    /// Whether this is the device making the request.
    pub current: bool,
}

#[derive(Debug, Object)]
pub struct DeviceList {
    pub devices: Vec<DeviceInfo>,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// List this account's logged-in devices, most recently used first.
    #[oai(
        path = "/auth/devices",
        method = "get",
        operation_id = "list_devices",
        tag = "ApiTags::Auth"
    )]
    async fn list_devices(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<DeviceList>, { AUTHED }> {
        let session = auth.0;
        let devices = state.sessions.list(&session.user_id).await?;
        let devices = devices
            .into_iter()
            .map(|d| DeviceInfo {
                current: d.device_id == session.device_id,
                device_id: d.device_id,
                name: d.name,
                created_at: d.created_at,
                last_seen_at: d.last_seen_at,
                last_seen_ip: d.last_seen_ip.into(),
            })
            .collect();
        Ok(Json(DeviceList { devices }))
    }
}

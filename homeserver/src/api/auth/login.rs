//! `POST /api/v1/auth/login`: password login, starting a new device session.

use poem::web::{Data, RemoteAddr};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::types::{TokenResponse, client_ip};
use crate::error::{Error, ErrorCode};
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct LoginRequest {
    /// The username (or full `@user:server` id). Give this or `email`.
    #[oai(validator(max_length = 255))]
    pub username: Option<String>,
    /// The account's email address. Give this or `username`.
    #[oai(validator(max_length = 254))]
    pub email: Option<String>,
    #[oai(validator(max_length = 512))]
    pub password: String,
    /// Shown in the device list, e.g. "Firefox on Linux".
    #[oai(validator(max_length = 64))]
    pub device_name: Option<String>,
}

#[derive(Debug)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Log in with a password; returns tokens for a new device session.
    ///
    /// An unknown user and a wrong password give the same `INVALID_CREDENTIALS` answer.
    #[oai(
        path = "/auth/login",
        method = "post",
        operation_id = "login",
        tag = "ApiTags::Auth"
    )]
    async fn login(
        &self,
        state: Data<&AppState>,
        addr: &RemoteAddr,
        body: Json<LoginRequest>,
    ) -> ApiResult<Json<TokenResponse>> {
        let body = body.0;
        let identifier = match (body.username.as_deref(), body.email.as_deref()) {
            (Some(username), None) => username,
            (None, Some(email)) => email,
            _ => {
                return Err(Error::new(
                    ErrorCode::InvalidRequest,
                    "give exactly one of `username` and `email`",
                )
                .into());
            }
        };
        let ip = client_ip(addr);
        let account_key = identifier.trim().to_lowercase();
        state.limits.login_attempt(ip.as_deref(), &account_key)?;
        let account = match state
            .accounts
            .verify_login(identifier, &body.password)
            .await
        {
            Ok(account) => account,
            Err(err) => {
                if err.code == ErrorCode::InvalidCredentials {
                    state.limits.login_failed(&account_key);
                }
                return Err(err.into());
            }
        };
        let user_id = account.user_id.parse().map_err(Error::internal)?;
        let pair = state
            .sessions
            .create_device(&user_id, body.device_name.as_deref().unwrap_or(""), ip)
            .await?;
        tracing::info!(user_id = %account.user_id, device_id = %pair.device_id, "logged in");
        Ok(Json(pair.into()))
    }
}

//! `POST /api/v1/auth/login`: password login, starting a new device session.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{ALWAYS, BODY, FORBIDDEN, TOO_MANY_REQUESTS, UNAUTHORIZED};
use crate::api::text::Text;
use crate::api::types::{ClientIp, TokenResponse};
use crate::error::{Error, ErrorCode};
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct LoginRequest {
    /// The username (or full `@user:server` id). Give this or `email`; `null` is the same as
    /// leaving it out.
    #[oai(nullable, validator(max_length = 255))]
    pub username: Option<Text>,
    /// The account's email address. Give this or `username`.
    #[oai(nullable, validator(max_length = 254))]
    pub email: Option<Text>,
    #[oai(validator(max_length = 512))]
    pub password: Text,
    /// Shown in the device list, e.g. "Firefox on Linux".
    #[oai(nullable, validator(max_length = 64))]
    pub device_name: Option<Text>,
}

#[derive(Debug, Default)]
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
        client: ClientIp,
        body: Json<LoginRequest>,
    ) -> ApiResult<
        Json<TokenResponse>,
        { ALWAYS | BODY | UNAUTHORIZED | FORBIDDEN | TOO_MANY_REQUESTS },
    > {
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
        let ip = client.text();
        state.limits.login_from_address(ip.as_deref())?;
        // Failures count against the account however it was named (username, user id or
        // email); an unknown name counts under itself.
        let found = state.accounts.find_for_login(identifier).await?;
        let account_key = match &found {
            Some(account) => account.user_id.clone(),
            None => identifier.trim().to_lowercase(),
        };
        state.limits.login_for_account(&account_key)?;
        let account = match state.accounts.verify_login(found, &body.password).await {
            Ok(account) => {
                state.limits.login_not_failed(&account_key);
                account
            }
            Err(err) => {
                if err.code != ErrorCode::InvalidCredentials {
                    state.limits.login_not_failed(&account_key);
                }
                return Err(err.into());
            }
        };
        let user_id = account.user_id.parse().map_err(Error::internal)?;
        let pair = state
            .sessions
            .create_device(&user_id, body.device_name.as_deref().unwrap_or(""), ip)
            .await?;
        // A deactivation or password change may have swept the devices between the password
        // check and the new device: then its tokens are never handed out, and it is ended.
        if let Err(err) = state.accounts.confirm_login(&account).await {
            if let Err(cause) = state.sessions.revoke(&user_id, &pair.device_id).await
                && cause.code != ErrorCode::DeviceNotFound
            {
                tracing::warn!(%cause, device_id = %pair.device_id, "could not end a refused login's device");
            }
            return Err(err.into());
        }
        tracing::info!(user_id = %account.user_id, device_id = %pair.device_id, "logged in");
        Ok(Json(pair.into()))
    }
}

//! `POST /api/v1/auth/register`: create an account.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::accounts::NewAccount;
use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{ALWAYS, BODY, CONFLICT, FORBIDDEN, TOO_MANY_REQUESTS};
use crate::api::text::Text;
use crate::api::types::{ClientIp, OwnProfile};
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct RegisterRequest {
    /// 3–32 characters of `a-z 0-9 . _ -`, starting with a letter or digit; stored lowercase.
    #[oai(validator(max_length = 64))]
    pub username: Text,
    /// At least the server's minimum length (8 by default), not a common password, not
    /// containing the username.
    #[oai(validator(max_length = 512))]
    pub password: Text,
    /// Optional, as are the fields below; `null` or an empty string is the same as leaving
    /// it out.
    #[oai(nullable, validator(max_length = 254))]
    pub email: Option<Text>,
    /// International format: `+` and 7–15 digits; spaces and dashes are ignored.
    #[oai(nullable, validator(max_length = 32))]
    pub phone: Option<Text>,
    #[oai(nullable, validator(max_length = 64))]
    pub display_name: Option<Text>,
    /// Needed when the server's registration policy is `token`.
    #[oai(nullable, validator(max_length = 128))]
    pub registration_token: Option<Text>,
}

#[derive(Debug, ApiResponse)]
pub enum RegisterResponse {
    /// The account was created. The first account on a server is its admin.
    #[oai(status = 201)]
    Created(Json<OwnProfile>),
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Register a new account.
    #[oai(
        path = "/auth/register",
        method = "post",
        operation_id = "register",
        tag = "ApiTags::Auth"
    )]
    async fn register(
        &self,
        state: Data<&AppState>,
        client: ClientIp,
        body: Json<RegisterRequest>,
    ) -> ApiResult<RegisterResponse, { ALWAYS | BODY | FORBIDDEN | CONFLICT | TOO_MANY_REQUESTS }>
    {
        if let Some(ip) = client.text() {
            state.limits.register_by_address(&ip)?;
        }
        let body = body.0;
        let account = state
            .accounts
            .register(NewAccount {
                username: body.username.into(),
                password: body.password.into(),
                email: body.email.map(String::from),
                phone: body.phone.map(String::from),
                display_name: body.display_name.map(String::from),
                registration_token: body.registration_token.map(String::from),
            })
            .await?;
        tracing::info!(user_id = %account.user_id, is_admin = account.is_admin, "account registered");
        Ok(RegisterResponse::Created(Json(account.into())))
    }
}

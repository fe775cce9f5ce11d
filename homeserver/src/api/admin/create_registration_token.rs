//! `POST /api/v1/admin/registration-tokens`: create a token that allows one or more
//! registrations when the policy is `token`.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BODY, FORBIDDEN};
use crate::api::nullable::Nullable;
use crate::api::security::BearerAuth;
use crate::error::{Error, ErrorCode};
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct CreateRegistrationTokenRequest {
    /// How many registrations it allows; left out or `null`: unlimited.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "1000000")))]
    pub uses_allowed: Option<u32>,
    /// Seconds until it expires; left out or `null`: never.
    #[oai(nullable, validator(minimum(value = "1"), maximum(value = "31536000")))]
    pub expires_in_secs: Option<u64>,
}

#[derive(Debug, Object)]
pub struct RegistrationToken {
    /// The token. It is shown only now; the server keeps only its hash.
    pub token: String,
    /// How many registrations it allows; `null`: unlimited.
    pub uses_allowed: Nullable<u32>,
    /// When it expires, in milliseconds since the Unix epoch; `null`: never.
    pub expires_at: Nullable<i64>,
}

#[derive(Debug, ApiResponse)]
pub enum CreateRegistrationTokenResponse {
    /// The token was created.
    #[oai(status = 201)]
    Created(Json<RegistrationToken>),
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Create a registration token (admins only).
    #[oai(
        path = "/admin/registration-tokens",
        method = "post",
        operation_id = "create_registration_token",
        tag = "ApiTags::Admin"
    )]
    async fn create_registration_token(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<CreateRegistrationTokenRequest>,
    ) -> ApiResult<CreateRegistrationTokenResponse, { AUTHED | BODY | FORBIDDEN }> {
        let admin = state.accounts.get_active(&auth.0.user_id).await?;
        if !admin.is_admin {
            return Err(Error::new(ErrorCode::Forbidden, "only server admins may do this").into());
        }
        let created = state
            .accounts
            .create_registration_token(&auth.0.user_id, body.uses_allowed, body.expires_in_secs)
            .await?;
        tracing::info!(created_by = %auth.0.user_id, "registration token created");
        Ok(CreateRegistrationTokenResponse::Created(Json(
            RegistrationToken {
                token: created.token,
                uses_allowed: created.uses_allowed.into(),
                expires_at: created.expires_at.into(),
            },
        )))
    }
}

//! `POST /api/v1/auth/deactivate`: deactivate the account for good.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::api::ApiTags;
use crate::api::error::ApiResult;
use crate::api::error::statuses::{AUTHED, BODY};
use crate::api::security::BearerAuth;
use crate::api::text::Text;
use crate::api::types::NoContent;
use crate::state::AppState;

#[derive(Debug, Object)]
pub struct DeactivateRequest {
    /// The account's password, to confirm.
    #[oai(validator(max_length = 512))]
    pub password: Text,
}

#[derive(Debug, Default)]
pub struct Api;

#[OpenApi]
impl Api {
    /// Deactivate this account: every device is logged out, the profile, email and phone are
    /// erased, and the username can never be registered again.
    #[oai(
        path = "/auth/deactivate",
        method = "post",
        operation_id = "deactivate",
        tag = "ApiTags::Auth"
    )]
    async fn deactivate(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<DeactivateRequest>,
    ) -> ApiResult<NoContent, { AUTHED | BODY }> {
        let session = auth.0;
        state
            .accounts
            .confirm_password(&session.user_id, &body.password)
            .await?;
        // Devices first: a crash in between leaves a logged-out account, never a
        // deactivated one that can still act.
        state.sessions.revoke_all(&session.user_id, None).await?;
        state.accounts.deactivate(&session.user_id).await?;
        // Again: a login that passed its password check before the deactivation may have
        // added a device since the first sweep. Logins that check after it are refused.
        state.sessions.revoke_all(&session.user_id, None).await?;
        tracing::info!(user_id = %session.user_id, "account deactivated");
        Ok(NoContent::Done)
    }
}

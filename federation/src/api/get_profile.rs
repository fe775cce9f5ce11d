//! `GET /_convo/federation/v1/profile/{user_id}`: a user's public profile, from their server.
//! Unset fields are `null`.

use serde::{Deserialize, Serialize};

use super::{FederationEndpoint, Method, PREFIX, encode_segment};
use crate::UserId;

/// The request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub user_id: UserId,
}

/// The answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    pub user_id: UserId,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
}

impl FederationEndpoint for Request {
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/_convo/federation/v1/profile/{user_id}";
    type Response = Response;

    fn uri(&self) -> String {
        format!("{PREFIX}/profile/{}", encode_segment(self.user_id.as_str()))
    }
}

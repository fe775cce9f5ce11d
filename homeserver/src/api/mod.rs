//! The REST API under `/api/v1`, described with poem-openapi: one file per operation,
//! grouped by area; each area's `mod.rs` lists its operations once, as a tuple type.
//! [`service`] assembles them into one OpenAPI service.

pub mod admin;
pub mod auth;
pub mod error;
pub mod merged;
pub use crate::wire::nullable;
pub mod rooms;
pub mod security;
pub mod text;
pub mod types;
pub mod users;

use poem_openapi::{OpenApiService, Tags};

/// The areas operations are grouped under in the document.
#[derive(Debug, Tags)]
pub enum ApiTags {
    /// Registration, login, tokens and device sessions.
    Auth,
    /// Profiles.
    Users,
    /// Chats and groups, members, messages and history.
    Rooms,
    /// Server administration (admins only).
    Admin,
}

/// Every operation of the REST API, each path described once (see [`merged`]).
pub type Api = merged::OnePathEach<(auth::Api, users::Api, rooms::Api, admin::Api)>;

/// The OpenAPI service: the routes and the document describing them.
pub fn service() -> OpenApiService<Api, ()> {
    OpenApiService::new(Api::default(), "Convo", env!("CARGO_PKG_VERSION"))
        .description(
            "The client API of a Convo homeserver. Every error has the body \
             `{\"code\": \"STABLE_CODE\", \"message\": \"…\"}`; clients match on `code`. \
             Answers never leave a field out: a field without a value is `null`. In a request \
             body, `null` means no value: in an update it clears the field, elsewhere it is the \
             same as leaving the field out.",
        )
        .url_prefix("/api/v1")
}

/// The document as YAML, exactly as committed in `openapi/convo.yaml`.
pub fn spec_yaml() -> String {
    service().spec_yaml()
}

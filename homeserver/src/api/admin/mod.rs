//! Server administration, for admin accounts only.

mod create_registration_token;

/// Every admin operation; `Api::default()` builds it.
pub type Api = create_registration_token::Api;

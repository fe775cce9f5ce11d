//! Server administration, for admin accounts only.

mod create_registration_token;

pub type Api = create_registration_token::Api;

pub fn api() -> Api {
    create_registration_token::Api
}

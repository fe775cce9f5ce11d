//! Profiles: the caller's own, and other users' public ones.

mod get_me;
mod get_user;
mod set_privacy;
mod update_me;

/// Every profile operation; `Api::default()` builds it.
pub type Api = (get_me::Api, update_me::Api, get_user::Api, set_privacy::Api);

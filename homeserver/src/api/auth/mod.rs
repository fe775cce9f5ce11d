//! Registration, login, token refresh, logout, devices, password and deactivation.

mod change_password;
mod deactivate;
mod delete_device;
mod list_devices;
mod login;
mod logout;
mod refresh;
mod register;

/// Every auth operation; `Api::default()` builds it.
pub type Api = (
    register::Api,
    login::Api,
    refresh::Api,
    logout::Api,
    list_devices::Api,
    delete_device::Api,
    change_password::Api,
    deactivate::Api,
);

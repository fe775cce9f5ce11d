//! Accounts: registration, credentials, profiles, deactivation. Owns the `users`,
//! `registration_tokens` and `server_flags` tables (`last_seen.rs`: when users were last
//! online).

mod last_seen;
pub mod password;
mod registration_tokens;
mod store;
pub mod validate;

use convo_federation::{ServerName, UserId};

use crate::config::{AuthConfig, RegistrationPolicy};
use crate::db::{Db, now_ms};
use crate::error::{Error, ErrorCode, Result};
pub use password::PasswordHasher;
pub use registration_tokens::{NewRegistrationToken, hex};

/// A stored account.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Account {
    pub user_id: String,
    pub localpart: String,
    #[sqlx(default)]
    password_hash: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub display_name: Option<String>,
    pub about: Option<String>,
    pub avatar_url: Option<String>,
    pub is_admin: bool,
    pub created_at: i64,
    pub deactivated_at: Option<i64>,
    /// Whether others may see when this user was last online.
    pub last_seen_visible: bool,
}

/// What a registration asks for, as the client sent it (not yet validated).
#[derive(Clone, Debug, Default)]
pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub display_name: Option<String>,
    pub registration_token: Option<String>,
}

/// A partial profile update: `None` leaves a field alone, `Some("")` clears it.
#[derive(Clone, Debug, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub about: Option<String>,
    pub avatar_url: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The accounts service.
#[derive(Clone, Debug)]
pub struct Accounts {
    db: Db,
    hasher: PasswordHasher,
    server_name: ServerName,
    policy: RegistrationPolicy,
    min_password_length: usize,
}

impl Accounts {
    pub fn new(
        db: Db,
        server_name: ServerName,
        policy: RegistrationPolicy,
        auth: &AuthConfig,
    ) -> Result<Self, argon2::Error> {
        Ok(Self {
            db,
            hasher: PasswordHasher::new(auth)?,
            server_name,
            policy,
            min_password_length: auth.min_password_length,
        })
    }

    /// Creates an account under the registration policy. The first account on a fresh server
    /// is always allowed and becomes an admin.
    pub async fn register(&self, new: NewAccount) -> Result<Account> {
        let localpart = validate::username(&new.username)?;
        let user_id = UserId::new(&localpart, &self.server_name)
            .map_err(|e| Error::new(ErrorCode::InvalidUsername, e.to_string()))?;
        password::check_strength(&new.password, &localpart, self.min_password_length)?;
        let email = optional(new.email.as_deref(), validate::email)?;
        let phone = optional(new.phone.as_deref(), validate::phone)?;
        let display_name = optional(new.display_name.as_deref(), |v| {
            validate::text(v, "display_name", validate::DISPLAY_NAME_MAX)
        })?;
        let password_hash = self.hasher.hash(&new.password).await?;
        let token_hash = new
            .registration_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(registration_tokens::hash);
        let account = Account {
            user_id: user_id.to_string(),
            localpart,
            password_hash,
            email,
            phone,
            display_name,
            about: None,
            avatar_url: None,
            is_admin: false,
            created_at: now_ms(),
            deactivated_at: None,
            last_seen_visible: true,
        };
        store::insert(&self.db, account, self.policy, token_hash.as_deref()).await
    }

    /// The account a login names by username, full user id or email, if there is one.
    pub async fn find_for_login(&self, identifier: &str) -> Result<Option<Account>> {
        match self.login_key(identifier) {
            Some(LoginKey::Email(email)) => store::find_by_email(&self.db, &email).await,
            Some(LoginKey::Localpart(localpart)) => {
                store::find_by_localpart(&self.db, &localpart).await
            }
            None => Ok(None),
        }
    }

    /// Checks a login's password against the account [`Self::find_for_login`] found. Unknown
    /// accounts and wrong passwords give the same error after the same work.
    pub async fn verify_login(&self, found: Option<Account>, password: &str) -> Result<Account> {
        let denied = || {
            Error::new(
                ErrorCode::InvalidCredentials,
                "unknown user or wrong password",
            )
        };
        let Some(account) = found else {
            self.hasher.verify_dummy(password).await?;
            return Err(denied());
        };
        if account.deactivated_at.is_some() {
            // Its password was erased; whether it is deactivated is public in its profile.
            self.hasher.verify_dummy(password).await?;
            return Err(Error::new(
                ErrorCode::AccountDeactivated,
                "this account has been deactivated",
            ));
        }
        if !self.hasher.verify(password, &account.password_hash).await? {
            return Err(denied());
        }
        Ok(account)
    }

    /// Checks, once a login has created its device, that the account is still as it was when
    /// [`Self::verify_login`] accepted the password: neither deactivated nor given a new
    /// password since. (Those log every device out; a device created just after their sweep
    /// would otherwise outlive it.)
    pub async fn confirm_login(&self, verified: &Account) -> Result<()> {
        match store::find_by_user_id(&self.db, &verified.user_id).await? {
            Some(account) if account.deactivated_at.is_some() => Err(Error::new(
                ErrorCode::AccountDeactivated,
                "this account has been deactivated",
            )),
            Some(account) if account.password_hash == verified.password_hash => Ok(()),
            _ => Err(Error::new(
                ErrorCode::InvalidCredentials,
                "unknown user or wrong password",
            )),
        }
    }

    fn login_key(&self, identifier: &str) -> Option<LoginKey> {
        let identifier = identifier.trim();
        if identifier.contains('@') && !identifier.starts_with('@') {
            return validate::email(identifier).ok().map(LoginKey::Email);
        }
        let localpart = match UserId::parse(identifier) {
            Ok(user_id) if *user_id.server_name() == self.server_name => {
                user_id.localpart().to_owned()
            }
            Ok(_) => return None,
            Err(_) => validate::username(identifier).ok()?,
        };
        Some(LoginKey::Localpart(localpart))
    }

    /// The account with this user id, deactivated or not.
    pub async fn get(&self, user_id: &UserId) -> Result<Option<Account>> {
        store::find_by_user_id(&self.db, user_id.as_str()).await
    }

    /// The caller's own account, which must exist and be active.
    pub async fn get_active(&self, user_id: &UserId) -> Result<Account> {
        match self.get(user_id).await? {
            Some(account) if account.deactivated_at.is_none() => Ok(account),
            _ => Err(Error::new(
                ErrorCode::SessionRevoked,
                "this account is no longer active",
            )),
        }
    }

    /// Applies a profile update and returns the new profile.
    pub async fn update_profile(&self, user_id: &UserId, update: ProfileUpdate) -> Result<Account> {
        let clearable = |value: Option<&str>, check: &dyn Fn(&str) -> Result<String>| match value {
            None => Ok(None),
            Some(v) if v.trim().is_empty() => Ok(Some(None)),
            Some(v) => check(v).map(|v| Some(Some(v))),
        };
        let changes = store::ProfileChanges {
            display_name: clearable(update.display_name.as_deref(), &|v| {
                validate::text(v, "display_name", validate::DISPLAY_NAME_MAX)
            })?,
            about: clearable(update.about.as_deref(), &|v| {
                validate::text(v, "about", validate::ABOUT_MAX)
            })?,
            avatar_url: clearable(update.avatar_url.as_deref(), &validate::avatar_url)?,
            email: clearable(update.email.as_deref(), &validate::email)?,
            phone: clearable(update.phone.as_deref(), &validate::phone)?,
        };
        store::update_profile(&self.db, user_id.as_str(), &changes).await?;
        self.get_active(user_id).await
    }

    /// Checks the current password, then stores the new one.
    pub async fn change_password(&self, user_id: &UserId, current: &str, new: &str) -> Result<()> {
        let account = self.confirm_password(user_id, current).await?;
        password::check_strength(new, &account.localpart, self.min_password_length)?;
        let hash = self.hasher.hash(new).await?;
        store::set_password_hash(&self.db, user_id.as_str(), &hash).await
    }

    /// Checks `password` against the active account `user_id`.
    pub async fn confirm_password(&self, user_id: &UserId, password: &str) -> Result<Account> {
        let account = self.get_active(user_id).await?;
        if !self.hasher.verify(password, &account.password_hash).await? {
            return Err(Error::new(ErrorCode::InvalidCredentials, "wrong password"));
        }
        Ok(account)
    }

    /// Marks the account deactivated and forgets its profile and contact details. The username
    /// stays taken forever.
    pub async fn deactivate(&self, user_id: &UserId) -> Result<()> {
        store::deactivate(&self.db, user_id.as_str(), now_ms()).await
    }

    /// Creates a registration token (admins only; the caller checks).
    pub async fn create_registration_token(
        &self,
        created_by: &UserId,
        uses_allowed: Option<u32>,
        expires_in_secs: Option<u64>,
    ) -> Result<NewRegistrationToken> {
        registration_tokens::create(&self.db, created_by.as_str(), uses_allowed, expires_in_secs)
            .await
    }
}

enum LoginKey {
    Email(String),
    Localpart(String),
}

/// Validates an optional field; an empty string counts as absent.
fn optional(value: Option<&str>, check: impl Fn(&str) -> Result<String>) -> Result<Option<String>> {
    match value {
        Some(v) if !v.trim().is_empty() => check(v).map(Some),
        _ => Ok(None),
    }
}

impl Accounts {
    /// Lets others see this user's last-seen time, or hides it.
    pub async fn set_last_seen_visible(&self, user_id: &UserId, visible: bool) -> Result<()> {
        store::set_last_seen_visible(&self.db, user_id.as_str(), visible).await
    }
}

//! The one error type of the homeserver's services, with a stable [`ErrorCode`] that clients
//! can rely on. Internal causes are logged once, where they are converted, and never sent.

use poem::http::StatusCode;
use poem_openapi::Enum;
use serde::Serialize;

/// Stable, documented error codes. Clients match on these; the message is for humans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Enum)]
#[oai(rename_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The request is malformed: bad JSON, a missing or mistyped field, a value out of range.
    InvalidRequest,
    /// The request body has a content type other than `application/json`.
    UnsupportedContentType,
    /// The request body is larger than the server accepts.
    PayloadTooLarge,
    /// The username has characters other than `a-z 0-9 . _ -` or a bad length.
    InvalidUsername,
    /// The password is too short, too common or contains the username.
    WeakPassword,
    /// The email address is not valid.
    InvalidEmail,
    /// The phone number is not in international format (`+` and 7 to 15 digits).
    InvalidPhone,
    /// A user id in the path or body is not of the form `@name:server`.
    InvalidUserId,
    /// The username is taken, now or by a deactivated account.
    UsernameTaken,
    /// Another account uses this email address.
    EmailTaken,
    /// Another account uses this phone number.
    PhoneTaken,
    /// This server does not accept new registrations.
    RegistrationClosed,
    /// The registration token is missing, unknown, used up or expired.
    InvalidRegistrationToken,
    /// Unknown user or wrong password (deliberately indistinguishable).
    InvalidCredentials,
    /// The account has been deactivated.
    AccountDeactivated,
    /// No `Authorization: Bearer` token was sent.
    MissingToken,
    /// The token is malformed or its signature is wrong.
    InvalidToken,
    /// The access token has expired; refresh it.
    TokenExpired,
    /// The device was logged out or removed; log in again.
    SessionRevoked,
    /// An already-used refresh token was presented; the device has been logged out.
    RefreshTokenReused,
    /// The caller lacks the role this needs.
    Forbidden,
    /// No such route.
    NotFound,
    /// No such user.
    UserNotFound,
    /// No such device for this account.
    DeviceNotFound,
    /// No such room, or the caller has never been in it.
    RoomNotFound,
    /// No such event in this room (or not visible to the caller).
    EventNotFound,
    /// The caller is no longer a member of this room.
    NotAMember,
    /// The user is already a member of this room.
    AlreadyMember,
    /// The group has reached its member limit.
    RoomFull,
    /// The message text is empty or longer than the server allows.
    InvalidMessage,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// Too many requests; retry after the number of seconds in `Retry-After`.
    RateLimited,
    /// A dependency (the database) is unavailable.
    Unavailable,
    /// Something failed inside the server; the cause is in its log.
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            InvalidRequest | InvalidUsername | WeakPassword | InvalidEmail | InvalidPhone
            | InvalidUserId => StatusCode::BAD_REQUEST,
            UnsupportedContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            InvalidCredentials | MissingToken | InvalidToken | TokenExpired | SessionRevoked
            | RefreshTokenReused => StatusCode::UNAUTHORIZED,
            RegistrationClosed | InvalidRegistrationToken | AccountDeactivated | Forbidden => {
                StatusCode::FORBIDDEN
            }
            NotFound | UserNotFound | DeviceNotFound | RoomNotFound | EventNotFound => {
                StatusCode::NOT_FOUND
            }
            NotAMember => StatusCode::FORBIDDEN,
            AlreadyMember | RoomFull => StatusCode::CONFLICT,
            InvalidMessage => StatusCode::BAD_REQUEST,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            UsernameTaken | EmailTaken | PhoneTaken => StatusCode::CONFLICT,
            RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A failure with a stable code and a message safe to show to the client.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds until a rate-limited request may be retried.
    pub retry_after: Option<u64>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        Self {
            code: ErrorCode::RateLimited,
            message: format!("too many requests; retry in {retry_after} s"),
            retry_after: Some(retry_after),
        }
    }

    /// Logs `cause` and returns an error that says nothing about it.
    #[track_caller]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let location = std::panic::Location::caller();
        tracing::error!(%cause, %location, "internal error");
        Self::new(ErrorCode::Internal, "internal server error")
    }
}

impl From<sqlx::Error> for Error {
    #[track_caller]
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
                tracing::error!(cause = %err, "database unavailable");
                Self::new(
                    ErrorCode::Unavailable,
                    "the database is unavailable; try again",
                )
            }
            other => Self::internal(other),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

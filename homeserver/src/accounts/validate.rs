//! Normalising and checking what users type: usernames, email addresses, phone numbers,
//! profile text.

use crate::error::{Error, ErrorCode};

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 32;
pub const DISPLAY_NAME_MAX: usize = 64;
pub const ABOUT_MAX: usize = 280;
pub const EMAIL_MAX: usize = 254;
pub const URL_MAX: usize = 1024;

/// Lowercases `raw` and checks it is 3–32 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub fn username(raw: &str) -> Result<String, Error> {
    let name = raw.trim().to_lowercase();
    let invalid = |why: &str| Err(Error::new(ErrorCode::InvalidUsername, why.to_owned()));
    let length = name.chars().count();
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&length) {
        return invalid("username must be 3 to 32 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return invalid("username may only contain letters a-z, digits and . _ -");
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return invalid("username must start with a letter or digit");
    }
    Ok(name)
}

/// Lowercases and checks an email address: one `@`, a non-empty local part, a dotted domain.
pub fn email(raw: &str) -> Result<String, Error> {
    let email = raw.trim().to_lowercase();
    let invalid = || {
        Err(Error::new(
            ErrorCode::InvalidEmail,
            "email address is not valid",
        ))
    };
    if email.len() > EMAIL_MAX || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid();
    }
    let Some((local, domain)) = email.split_once('@') else {
        return invalid();
    };
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local.is_empty() || local.len() > 64 || !domain_ok {
        return invalid();
    }
    Ok(email)
}

/// Normalises a phone number to E.164: `+` then 7–15 digits; spaces, dashes, dots and
/// parentheses are dropped.
pub fn phone(raw: &str) -> Result<String, Error> {
    let invalid = || {
        Err(Error::new(
            ErrorCode::InvalidPhone,
            "phone number must be in international format, like +44 20 7946 0958",
        ))
    };
    let trimmed = raw.trim();
    let Some(rest) = trimmed.strip_prefix('+') else {
        return invalid();
    };
    let mut digits = String::from("+");
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return invalid(),
        }
    }
    let count = digits.len() - 1;
    if !(7..=15).contains(&count) || digits.as_bytes()[1] == b'0' {
        return invalid();
    }
    Ok(digits)
}

/// Trims free text and checks its length in characters; control characters are refused.
pub fn text(raw: &str, field: &str, max: usize) -> Result<String, Error> {
    let value = raw.trim();
    if value.chars().count() > max {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            format!("{field} must be at most {max} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Checks an avatar URL: `https://`, `http://` or `mxc`-style `convo://` media, bounded length.
pub fn avatar_url(raw: &str) -> Result<String, Error> {
    let url = raw.trim();
    let scheme_ok = ["https://", "http://", "convo://"]
        .iter()
        .any(|scheme| url.starts_with(scheme) && url.len() > scheme.len());
    if !scheme_ok || url.len() > URL_MAX || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            "avatar_url must be an http(s):// or convo:// URL of at most 1024 characters",
        ));
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(username(" Alice ").unwrap(), "alice");
        assert_eq!(username("bob.smith_2-x").unwrap(), "bob.smith_2-x");
        for bad in [
            "al",
            "a".repeat(33).as_str(),
            "al ice",
            "alice!",
            "_alice",
            "ålice",
            "a:b",
        ] {
            assert_eq!(
                username(bad).unwrap_err().code,
                ErrorCode::InvalidUsername,
                "{bad}"
            );
        }
    }

    #[test]
    fn emails() {
        assert_eq!(email(" Alice@Example.ORG ").unwrap(), "alice@example.org");
        for bad in [
            "alice",
            "alice@",
            "@example.org",
            "alice@example",
            "a b@example.org",
            "alice@ex..org",
        ] {
            assert_eq!(
                email(bad).unwrap_err().code,
                ErrorCode::InvalidEmail,
                "{bad}"
            );
        }
    }

    #[test]
    fn phones() {
        assert_eq!(phone("+44 20 7946-0958").unwrap(), "+442079460958");
        for bad in [
            "07946 0958",
            "+12",
            "+0123456789",
            "+44 20 79x6 0958",
            "+1234567890123456",
        ] {
            assert_eq!(
                phone(bad).unwrap_err().code,
                ErrorCode::InvalidPhone,
                "{bad}"
            );
        }
    }

    #[test]
    fn texts_and_urls() {
        assert_eq!(text("  hi  ", "about", 5).unwrap(), "hi");
        assert!(text("toolong", "about", 5).is_err());
        assert!(text("bell\u{7}", "about", 50).is_err());
        assert!(avatar_url("https://cdn.example.org/a.png").is_ok());
        assert!(avatar_url("javascript:alert(1)").is_err());
        assert!(avatar_url("https://").is_err());
    }
}

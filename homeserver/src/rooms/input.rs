//! Checks of what clients send before it reaches the sequencer: transaction ids, message
//! texts, reactions, group names and settings. Texts are trimmed and bounded here.

use super::model::{Action, SettingsChange};
use super::{ROOM_NAME_MAX, ROOM_TOPIC_MAX, Rooms, TXN_ID_MAX};
use crate::accounts::validate;
use crate::error::{Error, ErrorCode, Result};

/// Most characters of a reaction.
const EMOJI_MAX: usize = 16;

pub(super) fn txn_id(txn_id: Option<&str>) -> Result<()> {
    match txn_id {
        Some(txn_id)
            if txn_id.is_empty()
                || txn_id.chars().count() > TXN_ID_MAX
                || txn_id.chars().any(char::is_control) =>
        {
            Err(Error::new(
                ErrorCode::InvalidRequest,
                format!(
                    "txn_id must be 1 to {TXN_ID_MAX} characters, none of them control characters"
                ),
            ))
        }
        _ => Ok(()),
    }
}

pub(super) fn group_name(name: &str) -> Result<String> {
    let name = validate::text(name, "name", ROOM_NAME_MAX)?;
    if name.is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidRequest,
            "a group needs a name",
        ));
    }
    Ok(name)
}

pub(super) fn topic(topic: &str) -> Result<String> {
    validate::text(topic, "topic", ROOM_TOPIC_MAX)
}

/// An optional field given at creation: blank means absent.
pub(super) fn optional(
    value: Option<&str>,
    check: impl Fn(&str) -> Result<String>,
) -> Result<Option<String>> {
    match value {
        Some(v) if !v.trim().is_empty() => check(v).map(Some),
        _ => Ok(None),
    }
}

/// A setting that can be cleared: `Some(None)` or blank clears it.
fn clearable(
    value: Option<Option<String>>,
    check: impl Fn(&str) -> Result<String>,
) -> Result<Option<Option<String>>> {
    match value {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(v)) if v.trim().is_empty() => Ok(Some(None)),
        Some(Some(v)) => check(&v).map(|v| Some(Some(v))),
    }
}

impl Rooms {
    /// The action as the sequencer gets it: texts trimmed and bounded, settings checked.
    pub(super) fn checked(&self, action: Action) -> Result<Action> {
        Ok(match action {
            Action::Message { text, reply_to } => Action::Message {
                text: self.message_text(&text)?,
                reply_to,
            },
            Action::Edit { target, text } => Action::Edit {
                target,
                text: self.message_text(&text)?,
            },
            Action::React { target, emoji } => {
                let emoji = emoji.trim().to_owned();
                if emoji.chars().count() > EMOJI_MAX
                    || emoji.chars().any(|c| c.is_control() || c.is_whitespace())
                {
                    return Err(Error::new(
                        ErrorCode::InvalidRequest,
                        format!("a reaction is one emoji (at most {EMOJI_MAX} characters)"),
                    ));
                }
                Action::React { target, emoji }
            }
            Action::Settings(change) => Action::Settings(SettingsChange {
                // A group always has a name: an empty one is refused, not cleared.
                name: match change.name {
                    Some(Some(v)) => Some(Some(group_name(&v)?)),
                    Some(None) => {
                        return Err(Error::new(
                            ErrorCode::InvalidRequest,
                            "a group needs a name",
                        ));
                    }
                    None => None,
                },
                topic: clearable(change.topic, topic)?,
                avatar_url: clearable(change.avatar_url, validate::avatar_url)?,
            }),
            other => other,
        })
    }

    fn message_text(&self, text: &str) -> Result<String> {
        let text = text.trim();
        let max = self.config.max_message_length;
        if text.is_empty() || text.chars().count() > max {
            return Err(Error::new(
                ErrorCode::InvalidMessage,
                format!("a message has 1 to {max} characters"),
            ));
        }
        Ok(text.to_owned())
    }
}

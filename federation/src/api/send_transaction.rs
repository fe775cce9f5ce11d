//! `PUT /_convo/federation/v1/send/{txn_id}`: a batch of events and ephemeral updates,
//! idempotent by `(origin, txn_id)` (the origin is the request's signer, never a body field).
//!
//! ```json
//! {"pdus": [<Pdu>…], "proposals": [<SignedEvent>…], "ephemeral": [<Ephemeral>…]}
//! ```
//!
//! `pdus` are events the room's host sequenced (host → participating servers), `proposals`
//! events a member's server asks the host to sequence (member's server → host). Empty lists
//! are left out. Each item is raw JSON, checked on its own: the answer has one outcome per
//! event, in the order sent; an ephemeral update that is malformed or of an unknown type is
//! dropped (they are best effort), so a newer peer's new kinds of update do no harm.
//!
//! ```json
//! {"pdus": [{"outcome": "accepted"}], "proposals": [{"outcome": "accepted", "seq": 42},
//!  {"outcome": "rejected", "error": {"code": "NOT_A_MEMBER", "message": "…"}}]}
//! ```

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::ephemeral::Ephemeral;
use super::{FederationEndpoint, Method, PREFIX, encode_segment};
use crate::error::{ErrorBody, ProtocolError, RemoteErrorBody};
use crate::events::{Pdu, SignedEvent};
use crate::{IdError, Raw};

/// Longest transaction id.
const MAX_TXN_ID_LEN: usize = 64;

/// A transaction id: 1 to 64 characters of `A-Z a-z 0-9 . _ ~ -` (safe in a path as is).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TxnId(String);

impl TxnId {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let valid = !s.is_empty()
            && s.len() <= MAX_TXN_ID_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b));
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::InvalidOpaqueId {
                reason: "a transaction id is 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '~', '-'",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TxnId {
    type Error = IdError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TxnId> for String {
    fn from(id: TxnId) -> Self {
        id.0
    }
}

/// The body of a transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transaction {
    /// Sequenced events, from the room's host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pdus: Vec<Raw<Pdu>>,
    /// Events for the host to sequence, from their origin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposals: Vec<Raw<SignedEvent>>,
    /// Typing, receipts, presence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ephemeral: Vec<Raw<Ephemeral>>,
}

impl Transaction {
    /// Events (sequenced or proposed) in the transaction.
    pub fn event_count(&self) -> usize {
        self.pdus.len() + self.proposals.len()
    }
}

/// What became of one event of a transaction. `E` is the error body: ours ([`ErrorBody`])
/// when we answer, the peer's ([`RemoteErrorBody`]) when we read a peer's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "lowercase", deny_unknown_fields)]
pub enum Outcome<E> {
    /// Taken (or already had: a retried transaction gets the same answer). A host answering a
    /// proposal gives the `seq` it sequenced the event at: the sender's *sent* tick.
    Accepted {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u64>,
    },
    /// Refused, and why.
    Rejected { error: E },
}

impl Outcome<ErrorBody> {
    /// The outcome of an event refused with `error`.
    pub fn rejected<P: ProtocolError + ?Sized>(error: &P) -> Self {
        Self::Rejected {
            error: ErrorBody::from_error(error),
        }
    }
}

/// The answer: one outcome per event, in the order of the request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    bound(serialize = "E: Serialize", deserialize = "E: DeserializeOwned")
)]
pub struct TransactionResults<E> {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pdus: Vec<Outcome<E>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposals: Vec<Outcome<E>>,
}

/// Our answer to a transaction.
pub type Response = TransactionResults<ErrorBody>;
/// A peer's answer to our transaction.
pub type PeerResponse = TransactionResults<RemoteErrorBody>;

/// The request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub txn_id: TxnId,
    pub transaction: Transaction,
}

impl FederationEndpoint for Request {
    const METHOD: Method = Method::Put;
    const PATH: &'static str = "/_convo/federation/v1/send/{txn_id}";
    type Response = PeerResponse;

    fn uri(&self) -> String {
        format!("{PREFIX}/send/{}", encode_segment(self.txn_id.as_str()))
    }

    fn body(&self) -> Result<Option<Vec<u8>>, serde_json::Error> {
        serde_json::to_vec(&self.transaction).map(Some)
    }
}

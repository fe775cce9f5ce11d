//! Client transactions the sequencer has answered: a retry with the same transaction id
//! gets the first answer again (marked as a repeat), whether the first try is in this batch,
//! in the batch in flight, or in the database.

use std::collections::HashMap;
use std::sync::Arc;

use super::tx::TxnKey;
use crate::rooms::model::{Committed, Event, Proposal};

/// Transactions whose answers are known, by key: the first answer, or the repeat of one
/// found in the database.
pub type Known = HashMap<TxnKey, Arc<Committed>>;

/// The answer to a retry: the first try's event, published to no one again.
pub fn duplicate(event: Event) -> Arc<Committed> {
    Arc::new(Committed {
        event,
        recipients: Arc::from([]),
        also: Vec::new(),
        muted: Arc::from([]),
        members_changed: false,
        duplicate: true,
    })
}

/// The answer to a retry, if `key`'s transaction has been answered before: the first answer,
/// marked as a repeat.
pub fn repeat(known: &Known, key: Option<&TxnKey>) -> Option<Arc<Committed>> {
    let first = known.get(key?)?;
    Some(if first.duplicate {
        first.clone()
    } else {
        duplicate(first.event.clone())
    })
}

/// Notes a new event's transaction, so that a retry later in the batch gets its answer.
pub fn remember(known: &mut Known, key: Option<TxnKey>, committed: &Arc<Committed>) {
    if let Some(key) = key {
        known.insert(key, committed.clone());
    }
}

pub fn txn_key(proposal: &Proposal) -> Option<TxnKey> {
    Some(TxnKey {
        room_id: proposal.room_id.clone(),
        sender: proposal.sender.clone(),
        txn_id: proposal.txn_id.clone()?,
    })
}

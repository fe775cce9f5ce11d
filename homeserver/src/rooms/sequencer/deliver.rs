//! After a commit: answering each proposer (the *sent* tick), noting membership changes in
//! the member directory, and handing the new events to fan-out, in commit order. A task of
//! its own, beside the sequencer, so that the next batch commits meanwhile.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::{Created, Fanout, Job, Outcome};
use crate::error::Result;
use crate::rooms::members::MemberDirectory;
use crate::rooms::model::Committed;

/// An answer to send once the batch is committed.
pub enum Reply {
    Propose(
        oneshot::Sender<Result<Arc<Committed>>>,
        Result<Arc<Committed>>,
    ),
    Create(oneshot::Sender<Result<Created>>, Result<Created>),
    Mute(oneshot::Sender<Result<()>>, Result<()>),
}

/// Pairs a job's answer with its reply channel.
pub fn reply(job: Job, outcome: Outcome) -> Reply {
    match (job, outcome) {
        (Job::Propose(_, to), Outcome::Propose(outcome)) => Reply::Propose(to, outcome),
        (Job::Create(_, to), Outcome::Create(outcome)) => Reply::Create(to, outcome),
        (Job::Mute(.., to), Outcome::Mute(outcome)) => Reply::Mute(to, outcome),
        _ => unreachable!("an outcome always matches its job"),
    }
}

/// Answers and publishes committed batches in commit order until the sequencer stops.
pub async fn deliver_all(
    mut committed: mpsc::Receiver<Vec<Reply>>,
    fanout: Arc<dyn Fanout>,
    members: Arc<MemberDirectory>,
) {
    while let Some(replies) = committed.recv().await {
        deliver(fanout.as_ref(), &members, replies);
    }
}

/// Answers each job, then hands the new events to fan-out in the order they were decided.
/// Membership changes reach the directory before their proposer hears of them.
fn deliver(fanout: &dyn Fanout, members: &MemberDirectory, replies: Vec<Reply>) {
    let mut published: Vec<Arc<Committed>> = Vec::new();
    let note = |published: &mut Vec<Arc<Committed>>, committed: &Arc<Committed>| {
        if committed.members_changed {
            members.set(&committed.event.room_id, committed.recipients.clone());
        }
        published.push(committed.clone());
    };
    for reply in replies {
        match reply {
            Reply::Propose(to, outcome) => {
                if let Ok(committed) = &outcome
                    && !committed.duplicate
                {
                    note(&mut published, committed);
                }
                let _ = to.send(outcome);
            }
            Reply::Create(to, outcome) => {
                if let Ok(Created::New { events, .. }) = &outcome {
                    for committed in events {
                        note(&mut published, committed);
                    }
                }
                let _ = to.send(outcome);
            }
            Reply::Mute(to, outcome) => {
                let _ = to.send(outcome);
            }
        }
    }
    if !published.is_empty() {
        fanout.publish(&published);
    }
}

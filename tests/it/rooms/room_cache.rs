//! The sequencer keeps a bounded number of room states in memory (`rooms.cached_rooms`, plus
//! the rooms of the batches being decided and committed): touching many rooms does not grow
//! it, and a room whose state was evicted is reloaded and carries on with the next gap-free
//! seq.

use super::{create_group, history, send, seq_of};
use crate::helpers::TestServer;
use crate::helpers::metrics::metric;

const CACHED: usize = 8;
const ROOMS: usize = 60;
/// Rooms beyond the capacity that a batch being decided or committed may keep: these
/// requests come one at a time, so a few.
const BATCH_ALLOWANCE: usize = 4;

#[tokio::test]
async fn room_states_stay_bounded_and_evicted_rooms_carry_on() {
    let server = TestServer::spawn_with(|c| c.rooms.cached_rooms = CACHED).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let mut rooms = Vec::new();
    let mut highest = 0;
    for i in 0..ROOMS {
        let room = create_group(&server, &alice, &format!("Room {i}"), &[&bob]).await;
        let ack = send(&server, &bob, &room, &format!("first in {i}")).await;
        rooms.push((room, seq_of(&ack)));
        let held = metric(&server, "convo_sequencer_cached_rooms").await;
        highest = highest.max(held);
    }
    let bound = (CACHED + BATCH_ALLOWANCE) as i64;
    assert!(
        highest <= bound,
        "the sequencer held up to {highest} room states, more than {bound}"
    );
    assert!(highest >= 1, "the gauge counts the rooms held");

    // Every room works again, the first (long evicted) first: the next seq, without a gap.
    for (i, (room, first_seq)) in rooms.iter().enumerate() {
        let ack = send(&server, &alice, room, &format!("second in {i}")).await;
        assert_eq!(seq_of(&ack), first_seq + 1, "room {i}: {ack}");
    }
    let events = history(&server, &alice, &rooms[0].0).await;
    let seqs: Vec<i64> = events.iter().map(seq_of).collect();
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "the first room's history is gap-free");
    let held = metric(&server, "convo_sequencer_cached_rooms").await;
    assert!(held <= bound, "{held} room states held at the end");
}

//! `rooms`: many small groups of distinct users, each with its own senders.

use anyhow::{Result, ensure};
use serde_json::json;

use super::messaging::{self, Layout};
use super::{Context, Report};
use crate::cli::RoomsArgs;
use crate::setup;

pub async fn run(ctx: &Context, args: RoomsArgs) -> Result<Report> {
    ensure!(args.rooms >= 1, "--rooms must be at least 1");
    ensure!(args.members >= 1, "--members must be at least 1");
    ensure!(
        (1..=args.members).contains(&args.senders_per_room),
        "--senders-per-room must be between 1 and --members"
    );
    let count = args.rooms * args.members;
    let users = setup::create_users(&ctx.api, &ctx.prefix, count, ctx.setup_concurrency).await?;
    let rooms: Vec<Vec<usize>> = (0..args.rooms)
        .map(|r| (r * args.members..(r + 1) * args.members).collect())
        .collect();
    let senders = rooms
        .iter()
        .enumerate()
        .flat_map(|(r, members)| {
            members[..args.senders_per_room]
                .iter()
                .map(move |&user| (r, user))
        })
        .collect();
    let params = json!({
        "scenario": "rooms",
        "members": args.members,
        "senders": args.rooms * args.senders_per_room,
        "senders_per_room": args.senders_per_room,
        "rooms": args.rooms,
    });
    let layout = Layout { rooms, senders };
    messaging::run(ctx, &users, &layout, &args.load, params).await
}

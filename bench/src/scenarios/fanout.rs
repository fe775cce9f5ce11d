//! `fanout`: one group; some members send, every member's connection receives everything.

use anyhow::{Result, ensure};
use serde_json::json;

use super::messaging::{self, Layout};
use super::{Context, Report};
use crate::cli::FanoutArgs;
use crate::setup;

pub async fn run(ctx: &Context, args: FanoutArgs) -> Result<Report> {
    ensure!(args.members >= 1, "--members must be at least 1");
    ensure!(
        (1..=args.members).contains(&args.senders),
        "--senders must be between 1 and --members"
    );
    let users =
        setup::create_users(&ctx.api, &ctx.prefix, args.members, ctx.setup_concurrency).await?;
    let layout = Layout {
        rooms: vec![(0..args.members).collect()],
        senders: (0..args.senders).map(|user| (0, user)).collect(),
    };
    let params = json!({
        "scenario": "fanout",
        "members": args.members,
        "senders": args.senders,
        "rooms": 1,
    });
    messaging::run(ctx, &users, &layout, &args.load, params).await
}

//! A port already in use stops the server before it creates anything, with one message.

use super::{printed, run_to_exit};
use crate::binary::convo;

#[test]
fn a_port_in_use_fails_before_anything_is_created_with_one_message() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out =
        run_to_exit(convo(dir.path()).args(["serve", "--listen", &addr, "--data-dir", "data"]));
    assert!(!out.status.success());
    let all = printed(&out);
    assert_eq!(all.matches("cannot listen on").count(), 1, "{all}");
    assert_eq!(all.matches("in use").count(), 1, "the cause once: {all}");
    assert!(all.contains(&addr), "{all}");
    assert!(
        !dir.path().join("data").exists(),
        "no data folder, database or key before the port is ours"
    );
}

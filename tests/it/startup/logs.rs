//! Logs: no colour codes when the output is not a terminal; a bad `log.filter` or `RUST_LOG`
//! stops the server with a message naming it.

use super::{lines_until_listening, printed, run_to_exit};
use crate::binary::{convo, terminate};

#[test]
fn logs_written_to_a_pipe_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = convo(dir.path());
    command
        .env_remove("NO_COLOR")
        .args(["serve", "--listen", "127.0.0.1:0"]);
    let (mut child, lines) = lines_until_listening(&mut command);
    assert!(lines.len() >= 2, "{lines:#?}");
    for line in &lines {
        assert!(!line.contains('\u{1b}'), "escape codes in {line:?}");
    }
    terminate(&mut child);
}

#[test]
fn a_bad_log_filter_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("convo.toml"),
        "[log]\nfilter = \"info,convo=loud\"\n",
    )
    .unwrap();
    let out = run_to_exit(convo(dir.path()).args([
        "serve",
        "--config",
        "convo.toml",
        "--listen",
        "127.0.0.1:0",
    ]));
    assert!(!out.status.success());
    let all = printed(&out);
    assert!(all.contains("log.filter"), "{all}");
    assert!(all.contains("convo=loud"), "{all}");
    assert!(!dir.path().join("convo-data").exists(), "nothing created");
}

#[test]
fn a_bad_rust_log_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_to_exit(
        convo(dir.path())
            .env("RUST_LOG", "debug,hyper=chatty")
            .args(["serve", "--listen", "127.0.0.1:0"]),
    );
    assert!(!out.status.success());
    let all = printed(&out);
    assert!(all.contains("RUST_LOG"), "{all}");
    assert!(all.contains("hyper=chatty"), "{all}");
}

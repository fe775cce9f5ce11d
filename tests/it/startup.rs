//! Starting a server safely: the port checked before anything is created, one server per
//! database, a server name that cannot change, private files, and clear errors and warnings
//! about the settings. The tests are in the submodules; the helpers they share are here.

mod data_lock;
mod file_modes;
mod port_in_use;
mod server_name;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `command` to its end and returns what it printed; fails the test if it is still
/// running after 30 s (a server that should have refused to start).
fn run_to_exit(command: &mut Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start convo");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "convo kept running; it printed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// Everything `out` printed, stdout then stderr.
fn printed(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

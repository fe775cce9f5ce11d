//! Starting a server safely: the port checked before anything is created, one server per
//! database, a server name that cannot change, private files, and clear errors and warnings
//! about the settings. The tests are in the submodules; the helpers they share are here.

mod data_lock;
mod file_modes;
mod logs;
mod port_in_use;
mod server_name;
mod warnings;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Output, Stdio};
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

/// Starts `command` (a `convo serve`) and returns it with the lines it printed up to and
/// including the one that says where it listens; later lines are read and dropped.
fn lines_until_listening(command: &mut Command) -> (Child, Vec<String>) {
    let mut child = command.stdout(Stdio::piped()).spawn().expect("start convo");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("utf-8 output");
        let listening = line.contains(" on http://");
        seen.push(line);
        if listening {
            std::thread::spawn(move || for _ in lines {});
            return (child, seen);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server never said where it listens: {seen:#?}");
}

//! Open registration on an address beyond loopback starts with a warning that says how to
//! restrict it; on loopback, or with registration restricted, there is none.

use super::lines_until_listening;
use crate::binary::{convo, terminate};

fn warnings_at_start(listen: &str, policy: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut command = convo(dir.path());
    command
        .env("CONVO__REGISTRATION__POLICY", policy)
        .args(["serve", "--listen", listen]);
    let (mut child, lines) = lines_until_listening(&mut command);
    terminate(&mut child);
    lines.into_iter().filter(|l| l.contains("WARN")).collect()
}

#[test]
fn open_registration_on_a_public_address_is_warned_about() {
    let warnings = warnings_at_start("0.0.0.0:0", "open");
    let warning = warnings
        .iter()
        .find(|l| l.contains("registration is open"))
        .unwrap_or_else(|| panic!("no warning: {warnings:#?}"));
    assert!(warning.contains("policy = \"token\""), "{warning}");
    assert!(warning.contains("CONVO__REGISTRATION__POLICY"), "{warning}");
    let quiet = |listen, policy| {
        let warnings = warnings_at_start(listen, policy);
        assert!(
            !warnings.iter().any(|l| l.contains("registration")),
            "{listen} {policy}: {warnings:#?}"
        );
    };
    quiet("127.0.0.1:0", "open");
    quiet("0.0.0.0:0", "token");
}

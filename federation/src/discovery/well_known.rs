//! `GET /.well-known/convo/server`: `{"convo.server": "host[:port]"}`, a delegation.
//!
//! Unknown fields are allowed here: the document is not signed, it is served by a web server
//! the operator may also use for other things, and only `convo.server` is read (and validated
//! as a host with an optional port).

use serde::{Deserialize, Serialize};

use crate::ServerName;

/// Where the delegation document is served (over HTTPS on port 443 of the server name).
pub const WELL_KNOWN_PATH: &str = "/.well-known/convo/server";

/// The delegation document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WellKnown {
    /// `host[:port]` to federate with instead.
    #[serde(rename = "convo.server")]
    pub server: String,
}

impl WellKnown {
    /// The delegated host and port, if `server` is a valid `host[:port]`.
    pub fn target(&self) -> Option<ServerName> {
        ServerName::parse(&self.server).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_round_trips_and_other_fields_are_ignored() {
        let fixture = r#"{"convo.server":"fed.example.org:8448"}"#;
        let wk: WellKnown = serde_json::from_str(fixture).unwrap();
        assert_eq!(serde_json::to_string(&wk).unwrap(), fixture);
        assert_eq!(wk.target().unwrap().as_str(), "fed.example.org:8448");
        let other: WellKnown =
            serde_json::from_str(r#"{"convo.server":"a.example","m.server":"b:1"}"#).unwrap();
        assert_eq!(other.server, "a.example");
        assert!(serde_json::from_str::<WellKnown>(r#"{"m.server":"b:1"}"#).is_err());
        for bad in ["", "a b", "host:0", "https://host", "host/path"] {
            let wk = WellKnown { server: bad.into() };
            assert!(wk.target().is_none(), "{bad}");
        }
    }
}

//! `openapi/asyncapi.yaml` describes the gateway protocol the code speaks: every frame type
//! the code knows is documented (and nothing more), and every documented client example is
//! a frame the server accepts.

use std::collections::BTreeSet;

use convo_homeserver::gateway::protocol;
use serde_json::Value;

const ASYNCAPI_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/asyncapi.yaml");

fn document() -> Value {
    let text = std::fs::read_to_string(ASYNCAPI_PATH).expect("openapi/asyncapi.yaml");
    serde_yaml::from_str(&text).expect("valid YAML")
}

/// The `type` each documented message's payload pins down, per operation action.
fn documented(doc: &Value, operation: &str) -> BTreeSet<String> {
    let messages = &doc["components"]["messages"];
    doc["operations"][operation]["messages"]
        .as_array()
        .expect("operation messages")
        .iter()
        .map(|m| {
            let name = m["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
            messages[name]["payload"]["properties"]["type"]["const"]
                .as_str()
                .unwrap_or_else(|| panic!("message {name} has no type const"))
                .to_owned()
        })
        .collect()
}

#[test]
fn the_document_lists_exactly_the_frames_the_code_speaks() {
    let doc = document();
    assert_eq!(doc["asyncapi"], "3.0.0");
    let code_client: BTreeSet<String> = protocol::CLIENT_FRAMES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let code_server: BTreeSet<String> = protocol::SERVER_FRAMES
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(documented(&doc, "clientRequests"), code_client);
    assert_eq!(documented(&doc, "serverPushes"), code_server);
}

#[test]
fn documented_client_examples_are_accepted_frames() {
    let doc = document();
    for name in protocol::CLIENT_FRAMES {
        let examples = doc["components"]["messages"][name]["examples"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no example"));
        for example in examples {
            let text = example["payload"].to_string();
            let frame = protocol::parse(&text)
                .unwrap_or_else(|(_, e)| panic!("{name} example refused: {}", e.message));
            assert_eq!(protocol::frame_type(&frame), *name);
        }
    }
}

//! The committed OpenAPI document is what the code generates, and what the server serves.

use serde_json::Value;

use crate::helpers::TestServer;

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/convo.yaml");

/// Regenerate with `CONVO_BLESS=1 cargo test -p convo-tests openapi`.
#[test]
fn committed_spec_is_fresh() {
    let generated = convo_homeserver::api::spec_yaml();
    if std::env::var_os("CONVO_BLESS").is_some() {
        std::fs::write(SPEC_PATH, &generated).expect("write openapi/convo.yaml");
    }
    let committed = std::fs::read_to_string(SPEC_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/convo.yaml is stale: run `CONVO_BLESS=1 cargo test -p convo-tests openapi` and commit it"
    );
}

#[tokio::test]
async fn served_document_is_the_committed_one() {
    let server = TestServer::spawn().await;
    let reply = server.get("/api/v1/openapi.json", None).await;
    assert_eq!(reply.status, 200);
    let committed: Value =
        serde_yaml::from_str(&std::fs::read_to_string(SPEC_PATH).expect("openapi/convo.yaml"))
            .expect("valid YAML");
    assert_eq!(reply.body, committed);
    let docs = server
        .client
        .get(server.url("/api/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("<html"));
}

#[test]
fn every_operation_has_an_id_and_documents_errors() {
    let spec: Value = serde_yaml::from_str(&convo_homeserver::api::spec_yaml()).unwrap();
    let paths = spec["paths"].as_object().expect("paths");
    assert!(paths.len() >= 10);
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or("");
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.contains_key("400"), "{id} does not document 400");
            assert!(responses.contains_key("500"), "{id} does not document 500");
        }
    }
    let codes = &spec["components"]["schemas"]["ErrorCode"]["enum"];
    assert!(
        codes
            .as_array()
            .is_some_and(|c| c.iter().any(|v| v == "INVALID_CREDENTIALS"))
    );
}

//! A small JSON client for the tests: every call returns status, headers and parsed body,
//! and every answer is checked against the OpenAPI document ([`super::contract`]).

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::contract;

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    /// The JSON body, or `Value::String` of the raw text when it is not JSON, or `Null` when empty.
    pub body: Value,
}

impl Reply {
    /// Sends `request` and reads the answer, which must be what the document says (else this
    /// panics, naming the operation, the status and what does not match).
    pub async fn send(request: reqwest::RequestBuilder) -> Self {
        let (client, request) = request.build_split();
        let request = request.expect("a well-formed request");
        let method = request.method().clone();
        let path = request.url().path().to_owned();
        let response = client
            .execute(request)
            .await
            .expect("request reaches the test server");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("read response body");
        if let Err(mismatch) = contract::check(&method, &path, status, &headers, &text) {
            panic!("the answer breaks openapi/convo.yaml: {mismatch}");
        }
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Self {
            status,
            headers,
            body,
        }
    }

    /// The stable error code, or "" when the body has none.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// Asserts the status and, for errors, that the body has our shape with `code`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "unexpected answer: {:?}",
            self.body
        );
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error without a message: {:?}",
            self.body
        );
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected answer: {:?}", self.body);
        &self.body
    }
}

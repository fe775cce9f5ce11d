//! Every frame the gateway tests receive is checked against `openapi/asyncapi.yaml` (and the
//! REST document it refers to): a server frame must match a message the server may send
//! whose payload pins its `type`, and an answer must be one its request's operation lists
//! (`reply`), an error with one of the operation's `x-error-codes`. See [`super::schema`]
//! for how strictly.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::schema::Documents;
use super::strict;

const ASYNCAPI_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/asyncapi.yaml");

/// The schema format every payload declares: OpenAPI 3.0's, as in `convo.yaml`.
pub const SCHEMA_FORMAT: &str = "application/vnd.oai.openapi;version=3.0.0";

/// One message of the document.
#[derive(Debug)]
pub struct Message {
    /// Its key under `components/messages`.
    pub key: String,
    /// The `type` its payload pins down.
    pub frame_type: String,
    /// Its `name`.
    pub name: Option<String>,
    /// The payload's schema (inside its `schemaFormat` wrapper).
    pub schema: Value,
    /// Its example payloads.
    pub examples: Vec<Value>,
}

/// What a request's operation says about its answers.
#[derive(Debug)]
pub struct Replies {
    /// The keys of the messages a success is.
    pub acks: Vec<String>,
    /// The error codes it may get.
    pub error_codes: Vec<String>,
}

/// The document, read once per test process, and its messages by direction.
#[derive(Debug)]
pub struct Gateway {
    /// `asyncapi.yaml` and the documents it refers to (`convo.yaml`).
    pub documents: Documents,
    /// Messages clients send (those of the `send` operations), by operation name.
    pub client: Vec<Message>,
    /// Messages the server sends (of the `receive` operations and the replies).
    pub server: Vec<Message>,
    /// Per client frame type, its operation's replies.
    pub replies: BTreeMap<String, Replies>,
}

/// The gateway's document; panics, saying why, if it cannot be read.
pub fn gateway() -> &'static Gateway {
    static GATEWAY: OnceLock<Gateway> = OnceLock::new();
    GATEWAY.get_or_init(|| Gateway::load().unwrap_or_else(|e| panic!("openapi/asyncapi.yaml: {e}")))
}

impl Gateway {
    fn load() -> Result<Self, String> {
        let documents = Documents::load(ASYNCAPI_PATH)?;
        let doc = documents.root();
        let mut client = Vec::new();
        let mut server = Vec::new();
        let mut replies = BTreeMap::new();
        let operations = doc["operations"].as_object().ok_or("no operations")?;
        for (name, operation) in operations {
            let messages = message_keys(doc, &operation["messages"])?;
            match operation["action"].as_str() {
                Some("send") => {
                    let [key] = messages.as_slice() else {
                        return Err(format!(
                            "operation {name} sends {messages:?}, not one message"
                        ));
                    };
                    let request = message(doc, key)?;
                    let reply = message_keys(doc, &operation["reply"]["messages"])?;
                    let error_codes = operation["x-error-codes"]
                        .as_array()
                        .ok_or(format!("operation {name} has no x-error-codes"))?
                        .iter()
                        .map(|c| c.as_str().map(str::to_owned).ok_or("a code is a string"))
                        .collect::<Result<_, _>>()?;
                    for key in &reply {
                        add(&mut server, message(doc, key)?);
                    }
                    let acks = reply.into_iter().filter(|k| k != "error").collect();
                    replies.insert(request.frame_type.clone(), Replies { acks, error_codes });
                    add(&mut client, request);
                }
                Some("receive") => {
                    for key in &messages {
                        add(&mut server, message(doc, key)?);
                    }
                }
                other => return Err(format!("operation {name} has action {other:?}")),
            }
        }
        Ok(Self {
            documents,
            client,
            server,
            replies,
        })
    }

    /// The server messages whose frames have `type`.
    fn server_messages(&self, frame_type: &str) -> impl Iterator<Item = &Message> {
        self.server
            .iter()
            .filter(move |m| m.frame_type == frame_type)
    }

    fn server_message(&self, key: &str) -> Option<&Message> {
        self.server.iter().find(|m| m.key == key)
    }

    /// Checks `frame` against `message`'s payload; the errors as lines.
    pub fn check(&self, message: &Message, frame: &Value) -> Result<(), String> {
        self.documents
            .validate(&message.schema, frame)
            .map_err(|errors| errors.join("\n    "))
    }

    /// Whether the document accepts `frame` as a client frame (of the message of its type).
    pub fn accepts_client_frame(&self, frame: &Value) -> Result<(), String> {
        let frame_type = frame["type"].as_str().unwrap_or_default();
        let message = self
            .client
            .iter()
            .find(|m| m.frame_type == frame_type)
            .ok_or_else(|| format!("no client frame has type {:?}", frame["type"]))?;
        self.check(message, frame)
    }

    /// Parses a frame the server sent (refusing repeated keys) and checks it against the
    /// server messages of its `type`: it must match one.
    pub fn check_server_frame(&self, text: &str) -> Result<Value, String> {
        let frame = parse(text)?;
        self.check_frame(&frame)?;
        Ok(frame)
    }

    /// Checks a server frame against the server messages of its `type`: it must match one,
    /// whose key this returns.
    pub fn check_frame(&self, frame: &Value) -> Result<&str, String> {
        let frame_type = frame["type"].as_str().unwrap_or_default();
        let mut problems = Vec::new();
        for message in self.server_messages(frame_type) {
            match self.check(message, frame) {
                Ok(()) => return Ok(&message.key),
                Err(errors) => problems.push(format!("  as `{}`:\n    {errors}", message.key)),
            }
        }
        if problems.is_empty() {
            return Err(format!(
                "the server sent a `{frame_type}` frame, which no server message has: {frame}"
            ));
        }
        Err(format!(
            "the `{frame_type}` frame matches no message:\n{}\n  frame: {frame}",
            problems.join("\n")
        ))
    }

    /// Checks that `answer` (an `ack` or `error`) is one the request `request` may get:
    /// for a request the document refuses, an `INVALID_REQUEST` error; otherwise one of its
    /// operation's replies, an error with one of its codes. Returns the message's key.
    pub fn check_answer(&self, request: &Value, answer: &Value) -> Result<&str, String> {
        let accepted = self.accepts_client_frame(request);
        let replies = request["type"]
            .as_str()
            .and_then(|t| self.replies.get(t))
            .filter(|_| accepted.is_ok());
        let Some(replies) = replies else {
            return match (&answer["type"], answer["code"].as_str()) {
                (Value::String(t), Some("INVALID_REQUEST")) if t == "error" => {
                    self.check_frame(answer)
                }
                _ => Err(format!(
                    "the document refuses this request ({}), yet the answer is not an INVALID_REQUEST error",
                    accepted.err().unwrap_or_default()
                )),
            };
        };
        if answer["type"] == "error" {
            let error = self.server_message("error").ok_or("no error message")?;
            self.check(error, answer)?;
            let code = answer["code"].as_str().unwrap_or_default();
            return match replies.error_codes.iter().any(|c| c == code) {
                true => Ok("error"),
                false => Err(format!(
                    "error code {code} is not among the request's x-error-codes {:?}",
                    replies.error_codes
                )),
            };
        }
        let mut problems = Vec::new();
        for key in &replies.acks {
            let message = self
                .server_message(key)
                .ok_or_else(|| format!("no server message {key}"))?;
            match self.check(message, answer) {
                Ok(()) => return Ok(key),
                Err(errors) => problems.push(format!("  as `{key}`:\n    {errors}")),
            }
        }
        Err(format!(
            "the answer is none of the request's replies:\n{}",
            problems.join("\n")
        ))
    }
}

/// Parses a frame the server sent, refusing repeated keys; it must have a string `type`.
pub fn parse(text: &str) -> Result<Value, String> {
    let frame = strict::json(text).map_err(|e| format!("not JSON ({e}): {text}"))?;
    match frame["type"] {
        Value::String(_) => Ok(frame),
        _ => Err(format!("a frame without a string `type`: {text}")),
    }
}

/// Adds `message` unless one with its key is there.
fn add(messages: &mut Vec<Message>, message: Message) {
    if !messages.iter().any(|m| m.key == message.key) {
        messages.push(message);
    }
}

/// The `components/messages` keys a list of `#/channels/…/messages/X` references names.
fn message_keys(doc: &Value, list: &Value) -> Result<Vec<String>, String> {
    let list = list.as_array().ok_or("messages are not a list")?;
    list.iter()
        .map(|reference| {
            let target = follow(doc, reference)?;
            // The channel's entry refers to the component: its key is the last segment.
            let key = target_key(doc, reference)?;
            target["payload"]
                .is_object()
                .then_some(key)
                .ok_or_else(|| format!("{reference} is no message"))
        })
        .collect()
}

/// The key of the component a reference ends at, following `$ref` chains.
fn target_key(doc: &Value, reference: &Value) -> Result<String, String> {
    let mut current = reference.clone();
    let mut key = String::new();
    for _ in 0..8 {
        let Some(pointer) = current["$ref"].as_str() else {
            return Ok(key);
        };
        key = pointer.rsplit('/').next().unwrap_or_default().to_owned();
        current = local(doc, pointer)?.clone();
    }
    Err(format!("{reference}: too many references"))
}

/// The value a local reference points to, following `$ref` chains.
fn follow<'d>(doc: &'d Value, reference: &Value) -> Result<&'d Value, String> {
    let mut current = local(doc, reference["$ref"].as_str().ok_or("not a $ref")?)?;
    for _ in 0..8 {
        match current["$ref"].as_str() {
            Some(next) => current = local(doc, next)?,
            None => return Ok(current),
        }
    }
    Err(format!("{reference}: too many references"))
}

fn local<'d>(doc: &'d Value, reference: &str) -> Result<&'d Value, String> {
    reference
        .strip_prefix('#')
        .and_then(|pointer| doc.pointer(pointer))
        .ok_or_else(|| format!("cannot resolve {reference}"))
}

/// The message `key` under `components/messages`, with its payload unwrapped.
fn message(doc: &Value, key: &str) -> Result<Message, String> {
    let message = &doc["components"]["messages"][key];
    let payload = &message["payload"];
    if payload["schemaFormat"] != SCHEMA_FORMAT {
        return Err(format!(
            "message {key}: the payload's schemaFormat is {}, not {SCHEMA_FORMAT}",
            payload["schemaFormat"]
        ));
    }
    let schema = payload["schema"].clone();
    let frame_type = tag(doc, &schema, 0).ok_or_else(|| format!("message {key} pins no `type`"))?;
    let examples = message["examples"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["payload"].clone())
        .collect();
    Ok(Message {
        key: key.to_owned(),
        frame_type,
        name: message["name"].as_str().map(str::to_owned),
        schema,
        examples,
    })
}

/// The one value a schema allows for `type` (`enum` with one value), looking through
/// `allOf` parts and local references.
fn tag(doc: &Value, schema: &Value, depth: usize) -> Option<String> {
    if depth > 8 {
        return None;
    }
    if let Some(reference) = schema["$ref"].as_str() {
        return tag(doc, local(doc, reference).ok()?, depth + 1);
    }
    match schema["properties"]["type"]["enum"]
        .as_array()
        .map(Vec::as_slice)
    {
        Some([Value::String(only)]) => Some(only.clone()),
        _ => schema["allOf"]
            .as_array()?
            .iter()
            .find_map(|part| tag(doc, part, depth + 1)),
    }
}

//! Snapshots of wire JSON: a [`Transcript`] records, step by step, what a scenario sent and
//! what came back (REST answers, gateway frames), replaces every value that changes between
//! runs with a stable placeholder, and compares each step with its committed `.snap` file
//! (insta) under `tests/it/snapshots/<scenario>/`.
//!
//! Placeholders keep the structure and the types visible:
//! - ids are named where they first appear: rooms by the scenario (`[room:direct]`), events by
//!   their room and seq (`[event:direct#3]`, also where another event points to them),
//!   devices and tokens by whose they are (`[device:alice/phone]`); an id nobody named gets a
//!   numbered one (`[room:room1]`, `[event#1]`) in order of appearance;
//! - a timestamp becomes `"[ts]"` only where it is one: an integer of milliseconds near now
//!   under a timestamp's key (`null` stays `null`; seconds or a string would show as they are);
//! - everything deterministic (user ids, seq and pos numbers, texts, codes, messages) stays.
//!
//! A snapshot that is missing, different or stale fails the test. insta itself fails on a
//! difference (writing the new one beside it as `.snap.new`, or nothing where `CI` is set); a
//! missing one fails here before insta is asked, and `INSTA_FORCE_PASS` is refused, so that no
//! setting lets a test pass by writing its own expectation. Only `INSTA_UPDATE=always` accepts
//! snapshots in place (and removes stale ones); `cargo insta` keeps them pending for its review.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use regex::Regex;
use serde_json::Value;

/// Where the committed snapshots live, one folder per scenario.
const SNAPSHOT_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/it/snapshots");

/// Keys whose integer values are times in milliseconds since the Unix epoch.
const TIME_KEYS: &[&str] = &[
    "created_at",
    "delivered_at",
    "edited_at",
    "expires_at",
    "joined_at",
    "last_seen",
    "last_seen_at",
    "read_at",
    "ts",
];

/// Keys whose string values are secrets that vary: named after the key when nobody named them.
const SECRET_KEYS: &[&str] = &["access_token", "refresh_token", "token"];

/// What one step sent and received, in the order it is recorded.
#[derive(Debug, Default)]
pub struct Step {
    entries: Vec<Entry>,
}

/// One line of a step and the JSON it carries.
#[derive(Debug)]
struct Entry {
    line: String,
    value: Option<Value>,
    /// Who received it, for a gateway frame.
    receiver: Option<String>,
}

impl Step {
    /// A line of the transcript, with the JSON it carries (if any).
    pub fn record(&mut self, line: impl Into<String>, value: Option<Value>) {
        self.entries.push(Entry {
            line: line.into(),
            value,
            receiver: None,
        });
    }

    /// A gateway frame `who` received.
    pub fn frame(&mut self, who: &str, frame: &Value) {
        let kind = frame["type"].as_str().unwrap_or("?");
        self.entries.push(Entry {
            line: format!("{who} ← {kind}"),
            value: Some(frame.clone()),
            receiver: Some(who.to_owned()),
        });
    }
}

/// The snapshots of one scenario.
#[derive(Debug)]
pub struct Transcript {
    scenario: &'static str,
    /// Steps asserted so far, numbered in order.
    asserted: Vec<String>,
    /// Actual value → placeholder; replaced wherever they appear.
    names: BTreeMap<String, String>,
    /// Room id → its name in the scenario (for naming its events).
    rooms: BTreeMap<String, String>,
    /// Next number of an unnamed id, by kind.
    counters: BTreeMap<String, usize>,
    room_id: Regex,
    event_id: Regex,
}

impl Transcript {
    /// The transcript of `scenario`, whose snapshots are in `tests/it/snapshots/<scenario>/`.
    pub fn new(scenario: &'static str) -> Self {
        refuse_forced_passes();
        Self {
            scenario,
            asserted: Vec::new(),
            names: BTreeMap::new(),
            rooms: BTreeMap::new(),
            counters: BTreeMap::new(),
            room_id: Regex::new(r"![A-Za-z0-9]{18}:[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*(:[0-9]+)?")
                .expect("regex"),
            event_id: Regex::new(r"\$[A-Za-z0-9_\-]{43}").expect("regex"),
        }
    }

    /// Shows `actual` as `placeholder` wherever it appears.
    pub fn name(&mut self, actual: &str, placeholder: impl Into<String>) {
        assert!(!actual.is_empty(), "cannot name an empty value");
        self.names.insert(actual.to_owned(), placeholder.into());
    }

    /// Names a room `[room:<name>]`; its events become `[event:<name>#<seq>]`.
    pub fn name_room(&mut self, room_id: &str, name: &str) {
        self.rooms.insert(room_id.to_owned(), name.to_owned());
        self.name(room_id, format!("[room:{name}]"));
    }

    /// Names a device and its tokens after `who` (e.g. `alice/phone`), from a login or
    /// refresh answer. Tokens handed out again (a refresh) are numbered: `#2`, `#3`, …
    /// (an access token issued in the same second as the one before can be the same string:
    /// it takes the newer name).
    pub fn name_session(&mut self, who: &str, tokens: &Value) {
        let issued = self.counters.entry(format!("session {who}")).or_default();
        *issued += 1;
        let suffix = match *issued {
            1 => String::new(),
            n => format!("#{n}"),
        };
        if let Some(device) = tokens["device_id"].as_str()
            && !self.names.contains_key(device)
        {
            self.name(device, format!("[device:{who}]"));
        }
        for kind in ["access_token", "refresh_token"] {
            if let Some(token) = tokens[kind].as_str() {
                self.name(token, format!("[{kind}:{who}{suffix}]"));
            }
        }
    }

    /// A new, empty step.
    pub fn step(&self) -> Step {
        Step::default()
    }

    /// Redacts `step` and compares it with the snapshot `<nn>_<name>` of this scenario.
    #[track_caller]
    pub fn assert(&mut self, name: &str, step: Step) {
        let file = format!("{:02}_{name}", self.asserted.len() + 1);
        let text = self.render(step);
        let dir = self.dir();
        let path = dir.join(format!("{file}.snap"));
        if !path.exists() && !accepts_in_place() && !under_cargo_insta() {
            panic!(
                "no snapshot {}: run `INSTA_UPDATE=always cargo test -p convo-tests snapshots::`, \
                 review it and commit it. It would be:\n{text}",
                path.display()
            );
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(dir);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(file.clone(), text));
        self.asserted.push(file);
    }

    /// The end of the scenario: a snapshot of it that no step made any more fails the test
    /// (or is removed, when snapshots are accepted in place).
    pub fn finish(self) {
        let mut stale = Vec::new();
        for entry in std::fs::read_dir(self.dir()).into_iter().flatten() {
            let path = entry.expect("snapshot folder entry").path();
            let Some(stem) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".snap"))
            else {
                continue;
            };
            if !self.asserted.iter().any(|a| a == stem) {
                stale.push(path);
            }
        }
        stale.sort();
        if accepts_in_place() {
            for path in &stale {
                std::fs::remove_file(path).expect("remove a stale snapshot");
            }
            return;
        }
        let names: Vec<_> = stale.iter().filter_map(|p| p.file_name()).collect();
        assert!(
            names.is_empty(),
            "snapshots of `{}` that no step makes any more (remove them, or run with \
             INSTA_UPDATE=always): {names:?}",
            self.scenario
        );
    }

    fn dir(&self) -> PathBuf {
        PathBuf::from(SNAPSHOT_ROOT).join(self.scenario)
    }

    /// The step as text: each line, then its JSON pretty-printed, every varying value
    /// replaced. A frame that is exactly the one another connection got earlier in the step
    /// (every device of a room gets the same) is written as the same as theirs.
    fn render(&mut self, step: Step) -> String {
        let mut out = String::new();
        let mut frames: Vec<(String, Value)> = Vec::new();
        for entry in step.entries {
            let mut text = self.replace_names(&entry.line);
            if let Some(mut value) = entry.value {
                let earlier = entry.receiver.as_ref().and_then(|_| {
                    frames
                        .iter()
                        .find(|(_, seen)| *seen == value)
                        .map(|(who, _)| who.clone())
                });
                if let Some(receiver) = entry.receiver {
                    frames.push((receiver, value.clone()));
                }
                if let Some(earlier) = earlier {
                    text.push_str(&self.replace_names(&format!(": the same as {earlier}'s")));
                } else {
                    self.name_events(&value);
                    self.redact_values(&mut value);
                    let json = serde_json::to_string_pretty(&value).expect("JSON");
                    text.push('\n');
                    text.push_str(&self.replace_names(&json));
                }
            }
            out.push_str(&text);
            out.push('\n');
        }
        out
    }

    /// Names every event found with its room and seq (acks, stream events, history).
    fn name_events(&mut self, value: &Value) {
        match value {
            Value::Object(object) => {
                if let (Some(Value::String(event)), Some(Value::String(room)), Some(seq)) = (
                    object.get("event_id"),
                    object.get("room_id"),
                    object.get("seq").and_then(Value::as_i64),
                ) && !self.names.contains_key(event)
                {
                    let room = self.room_name(room);
                    self.name(event, format!("[event:{room}#{seq}]"));
                }
                object.values().for_each(|v| self.name_events(v));
            }
            Value::Array(items) => items.iter().for_each(|v| self.name_events(v)),
            _ => {}
        }
    }

    /// A room's name in the scenario; one nobody named gets a number.
    fn room_name(&mut self, room_id: &str) -> String {
        if let Some(name) = self.rooms.get(room_id) {
            return name.clone();
        }
        let name = format!("room{}", self.next("room"));
        self.name_room(room_id, &name);
        name
    }

    fn next(&mut self, kind: &str) -> usize {
        let counter = self.counters.entry(kind.to_owned()).or_default();
        *counter += 1;
        *counter
    }

    /// Timestamps to `"[ts]"`; secrets and devices nobody named get numbered placeholders.
    fn redact_values(&mut self, value: &mut Value) {
        match value {
            Value::Object(object) => {
                for (key, value) in object.iter_mut() {
                    if TIME_KEYS.contains(&key.as_str()) && value.as_i64().is_some_and(is_recent) {
                        *value = Value::String("[ts]".into());
                        continue;
                    }
                    if let Value::String(text) = value
                        && (SECRET_KEYS.contains(&key.as_str()) || key == "device_id")
                        && !self.names.contains_key(text.as_str())
                    {
                        let placeholder = format!("[{key}#{}]", self.next(key));
                        self.name(text, placeholder);
                    }
                    self.redact_values(value);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_values(v)),
            _ => {}
        }
    }

    /// Every named value replaced by its placeholder (longest first), then ids nobody named
    /// numbered in order of appearance.
    fn replace_names(&mut self, text: &str) -> String {
        let mut names: Vec<(&String, &String)> = self.names.iter().collect();
        names.sort_by_key(|(actual, _)| std::cmp::Reverse(actual.len()));
        let mut text = text.to_owned();
        for (actual, placeholder) in names {
            if text.contains(actual.as_str()) {
                text = text.replace(actual.as_str(), placeholder);
            }
        }
        while let Some(found) = self.event_id.find(&text).map(|m| m.as_str().to_owned()) {
            let placeholder = format!("[event#{}]", self.next("event"));
            text = text.replace(&found, &placeholder);
            self.name(&found, placeholder);
        }
        while let Some(found) = self.room_id.find(&text).map(|m| m.as_str().to_owned()) {
            let name = self.room_name(&found);
            text = text.replace(&found, &format!("[room:{name}]"));
        }
        text
    }
}

/// Whether `ms` is a time in milliseconds within a year or so of now (so seconds, or a time
/// far off, are not taken for one).
fn is_recent(ms: i64) -> bool {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64;
    const YEAR_AND_A_BIT: i64 = 400 * 24 * 3600 * 1000;
    (now - YEAR_AND_A_BIT..=now + YEAR_AND_A_BIT).contains(&ms)
}

/// Whether this run accepts snapshots as they come: `INSTA_UPDATE=always` (or `force`).
fn accepts_in_place() -> bool {
    matches!(
        std::env::var("INSTA_UPDATE").as_deref(),
        Ok("always" | "1" | "force")
    )
}

/// Whether `cargo insta` runs the tests: it keeps new snapshots pending for its review.
fn under_cargo_insta() -> bool {
    std::env::var("INSTA_CARGO_INSTA").as_deref() == Ok("1")
}

/// `INSTA_FORCE_PASS` makes every mismatch pass: refused outside `cargo insta` (which sets it
/// to collect all pending snapshots, and then reports them).
fn refuse_forced_passes() {
    let forced = matches!(std::env::var("INSTA_FORCE_PASS").as_deref(), Ok("1"));
    assert!(
        !forced || under_cargo_insta(),
        "INSTA_FORCE_PASS=1 would accept any snapshot: unset it"
    );
}

#[test]
fn placeholders_keep_structure_types_and_relations() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let room = "!abcdefghijklmnopqr:localhost";
    let other = "!ABCDEFGHIJKLMNOPQR:localhost";
    let event = format!("${}", "a".repeat(43));
    let target = format!("${}", "b".repeat(43));
    let mut t = Transcript::new("unit");
    t.name_room(room, "chat");
    let mut step = t.step();
    let frame = serde_json::json!({
        "type": "event",
        "event": {
            "event_id": event, "room_id": room, "seq": 3, "ts": now,
            "content": { "target": target }, "edited_at": null,
        },
    });
    step.frame("alice", &frame);
    step.frame("bob", &frame);
    step.record(
        format!("alice → GET /rooms/{other}"),
        Some(serde_json::json!({ "ts": now / 1000, "created_at": "yesterday", "token": "s3cret" })),
    );
    let text = t.render(step);
    let expected = r#"alice ← event
{
  "event": {
    "content": {
      "target": "[event#1]"
    },
    "edited_at": null,
    "event_id": "[event:chat#3]",
    "room_id": "[room:chat]",
    "seq": 3,
    "ts": "[ts]"
  },
  "type": "event"
}
bob ← event: the same as alice's
alice → GET /rooms/[room:room1]
{
  "created_at": "yesterday",
  "token": "[token#1]",
  "ts": "#;
    assert!(text.starts_with(expected), "{text}");
    assert!(text.ends_with(&format!("{}\n}}\n", now / 1000)), "{text}");
}

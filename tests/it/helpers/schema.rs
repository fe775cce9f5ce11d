//! A strict validator for the JSON-Schema subset our documents use: OpenAPI 3.0 schemas
//! (`nullable`, boolean `exclusiveMinimum`, integer `format`s) and AsyncAPI 3.0 payloads
//! (JSON Schema: `const`, `type` lists such as `[string, 'null']`, boolean schemas).
//!
//! `validate(root, schema, instance)` checks `instance` against `schema`, resolving `$ref`s
//! (`#/…` pointers) in `root`, the whole document. Documents that refer to one another
//! (`./convo.yaml#/components/schemas/X`, relative to the referring document) are loaded
//! together as [`Documents`], whose `validate` follows such references (and, inside the
//! document reached, its own `#/…` ones). It is stricter than JSON Schema in two ways,
//! because it checks a contract that generated clients rely on:
//! - an object whose schema lists `properties` is closed: a property that no schema applying
//!   at that place lists (its `properties`, those of its `allOf` parts and of the `anyOf` /
//!   `oneOf` branches that match) is an error, unless `additionalProperties` allows it. A
//!   schema that lists no properties (`{type: object}`) is open;
//! - `type: integer` takes integer literals only (`1`, not `1.0`).
//!
//! A keyword it does not know is an error rather than silently unchecked; annotations
//! (`description`, `example`, `x-…` and the like) are ignored, except that when a `oneOf`
//! with a `discriminator` mapping fails, the error is the branch the instance's tag picks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

#[cfg(test)]
mod tests;

/// Keywords that only annotate: they never make an instance invalid.
const ANNOTATIONS: &[&str] = &[
    "$comment",
    "$id",
    "$schema",
    "contentEncoding",
    "contentMediaType",
    "default",
    "deprecated",
    "description",
    "discriminator",
    "example",
    "examples",
    "externalDocs",
    "readOnly",
    "summary",
    "title",
    "writeOnly",
    "xml",
];

/// How deep `$ref`s and nesting may go before the schema is taken to loop.
const MAX_DEPTH: usize = 128;

/// Checks `instance` against `schema`; `$ref`s resolve in `root`. Each error names the JSON
/// pointer of the offending value and the problem, e.g. `/rooms/0/name: null is not a string`.
pub fn validate(root: &Value, schema: &Value, instance: &Value) -> Result<(), Vec<String>> {
    let base = Doc {
        path: Path::new(""),
        root,
    };
    outcome(Checker { library: None }.location(base, schema, instance, "", 0))
}

fn outcome(errors: Vec<String>) -> Result<(), Vec<String>> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Documents whose `$ref`s may point into one another: `other.yaml#/pointer` names a file
/// relative to the folder of the document the reference is in.
#[derive(Debug)]
pub struct Documents {
    /// The document loaded first, the one schemas given to [`Documents::validate`] are in.
    entry: PathBuf,
    /// Every document, by its path (lexically normalised).
    docs: BTreeMap<PathBuf, Value>,
}

impl Documents {
    /// Reads the document at `path` and every document its `$ref`s name, theirs in turn:
    /// YAML, or JSON for a `.json` file, refusing repeated keys (see [`super::strict`]).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, String> {
        let entry = normalise(path.as_ref());
        let mut docs = BTreeMap::new();
        let mut todo = vec![entry.clone()];
        while let Some(path) = todo.pop() {
            if docs.contains_key(&path) {
                continue;
            }
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let parsed = if path.extension().is_some_and(|e| e == "json") {
                super::strict::json(&text)
            } else {
                super::strict::yaml(&text)
            };
            let value = parsed.map_err(|e| format!("{}: {e}", path.display()))?;
            let mut refs = Vec::new();
            references(&value, &mut refs);
            for reference in refs {
                let file = reference
                    .split_once('#')
                    .map_or(reference, |(file, _)| file);
                if !file.is_empty() && !file.contains(':') {
                    todo.push(sibling(&path, file));
                }
            }
            docs.insert(path, value);
        }
        Ok(Self { entry, docs })
    }

    /// The document loaded first.
    pub fn root(&self) -> &Value {
        &self.docs[&self.entry]
    }

    /// Checks `instance` against `schema`, a schema of the first document: `$ref`s resolve
    /// in it, and those naming another file in that file.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Result<(), Vec<String>> {
        let base = Doc {
            path: &self.entry,
            root: self.root(),
        };
        outcome(
            Checker {
                library: Some(self),
            }
            .location(base, schema, instance, "", 0),
        )
    }

    /// Every `$ref` in every document that does not resolve, as `file: reference`.
    pub fn unresolved(&self) -> Vec<String> {
        let checker = Checker {
            library: Some(self),
        };
        let mut out = Vec::new();
        for (path, root) in &self.docs {
            let mut refs = Vec::new();
            references(root, &mut refs);
            let base = Doc { path, root };
            for reference in refs {
                if checker.resolve(base, reference).is_none() {
                    out.push(format!("{}: {reference}", path.display()));
                }
            }
        }
        out
    }
}

/// Every `$ref` string in `value`, at any depth.
fn references<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::Object(object) => {
            for (key, item) in object {
                match (key.as_str(), item) {
                    ("$ref", Value::String(reference)) => out.push(reference),
                    _ => references(item, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, out)),
        _ => {}
    }
}

/// `file` relative to the folder of the document at `path`.
fn sibling(path: &Path, file: &str) -> PathBuf {
    normalise(&path.parent().unwrap_or(Path::new("")).join(file))
}

/// A path without `.` and with each `..` taking away the folder before it.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A document, and where it is (for the files its references name).
#[derive(Clone, Copy)]
struct Doc<'a> {
    path: &'a Path,
    root: &'a Value,
}

/// What applying a schema at one place found.
#[derive(Default)]
struct Outcome {
    errors: Vec<String>,
    /// Properties of the object at this place that a schema here lists or covers.
    evaluated: BTreeSet<String>,
    /// Whether a schema here lists properties, which closes the object.
    closed: bool,
}

impl Outcome {
    fn error(&mut self, pointer: &str, problem: impl Into<String>) {
        let at = if pointer.is_empty() {
            "(root)"
        } else {
            pointer
        };
        self.errors.push(format!("{at}: {}", problem.into()));
    }

    /// Takes in a part that applies at the same place (`allOf`, a matching branch, a `$ref`).
    fn absorb(&mut self, part: Outcome) {
        self.errors.extend(part.errors);
        self.evaluated.extend(part.evaluated);
        self.closed |= part.closed;
    }
}

struct Checker<'a> {
    /// The documents other files' references resolve in; none: only `#/…` references.
    library: Option<&'a Documents>,
}

impl<'a> Checker<'a> {
    /// Validates a value at a new place: the schemas applying there, then whether the object
    /// there has properties none of them covers.
    fn location(
        &self,
        base: Doc<'a>,
        schema: &Value,
        instance: &Value,
        pointer: &str,
        depth: usize,
    ) -> Vec<String> {
        let mut outcome = self.apply(base, schema, instance, pointer, depth);
        if let Value::Object(object) = instance
            && outcome.closed
        {
            for key in object.keys() {
                if !outcome.evaluated.contains(key) {
                    outcome.error(pointer, format!("property `{key}` is not in the schema"));
                }
            }
        }
        outcome.errors
    }

    /// Applies `schema` (and whatever it combines) to `instance` at `pointer`.
    fn apply(
        &self,
        base: Doc<'a>,
        schema: &Value,
        instance: &Value,
        pointer: &str,
        depth: usize,
    ) -> Outcome {
        let mut out = Outcome::default();
        if depth > MAX_DEPTH {
            out.error(pointer, "the schema nests too deep (a `$ref` loop?)");
            return out;
        }
        let schema = match schema {
            Value::Bool(true) => {
                if let Value::Object(object) = instance {
                    out.evaluated.extend(object.keys().cloned());
                }
                return out;
            }
            Value::Bool(false) => {
                out.error(pointer, "no value is allowed here (schema `false`)");
                return out;
            }
            Value::Object(schema) => schema,
            other => {
                out.error(pointer, format!("the schema is not an object: {other}"));
                return out;
            }
        };
        // OpenAPI 3.0: `nullable: true` admits null whatever else the schema says.
        if instance.is_null() && schema.get("nullable") == Some(&Value::Bool(true)) {
            return out;
        }
        for keyword in schema.keys() {
            let known = ANNOTATIONS.contains(&keyword.as_str())
                || keyword.starts_with("x-")
                || KEYWORDS.contains(&keyword.as_str());
            if !known {
                out.error(
                    pointer,
                    format!("the schema uses unsupported keyword `{keyword}`"),
                );
            }
        }
        if let Some(reference) = schema.get("$ref") {
            match reference.as_str().and_then(|r| self.resolve(base, r)) {
                Some((doc, target)) => {
                    out.absorb(self.apply(doc, target, instance, pointer, depth + 1));
                }
                None => out.error(pointer, format!("cannot resolve $ref {reference}")),
            }
        }
        self.check_type(schema, instance, pointer, &mut out);
        if let Some(expected) = schema.get("const")
            && !same(expected, instance)
        {
            out.error(
                pointer,
                format!("{} is not the constant {expected}", show(instance)),
            );
        }
        if let Some(choices) = schema.get("enum") {
            match choices.as_array() {
                Some(choices) if choices.iter().any(|c| same(c, instance)) => {}
                Some(choices) => out.error(
                    pointer,
                    format!(
                        "{} is not one of {}",
                        show(instance),
                        Value::Array(choices.clone())
                    ),
                ),
                None => out.error(pointer, "`enum` is not a list"),
            }
        }
        match instance {
            Value::Number(_) => self.check_number(schema, instance, pointer, &mut out),
            Value::String(text) => self.check_string(schema, text, pointer, &mut out),
            Value::Array(items) => self.check_array(base, schema, items, pointer, depth, &mut out),
            Value::Object(object) => {
                self.check_object(base, schema, object, pointer, depth, &mut out);
            }
            Value::Null | Value::Bool(_) => {}
        }
        self.check_combinators(base, schema, instance, pointer, depth, &mut out);
        out
    }

    /// The value a `$ref` points to, and the document it is in: `#/components/schemas/X`
    /// in `base`, `other.yaml#/…` in that file (relative to `base`'s folder).
    fn resolve(&self, base: Doc<'a>, reference: &str) -> Option<(Doc<'a>, &'a Value)> {
        let (file, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let doc = if file.is_empty() {
            base
        } else {
            let library = self.library?;
            let (path, root) = library.docs.get_key_value(&sibling(base.path, file))?;
            Doc { path, root }
        };
        let decoded = percent_decode(fragment)?;
        Some((doc, doc.root.pointer(&decoded)?))
    }

    fn check_type(
        &self,
        schema: &Map<String, Value>,
        instance: &Value,
        pointer: &str,
        out: &mut Outcome,
    ) {
        let Some(types) = schema.get("type") else {
            return;
        };
        let types: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            other => {
                out.error(
                    pointer,
                    format!("`type` is neither a name nor a list: {other}"),
                );
                return;
            }
        };
        if !types.iter().any(|t| is_of_type(t, instance)) {
            let expected = types.join(" or ");
            let hint = match instance {
                Value::Number(n) if types.contains(&"integer") && n.is_f64() => {
                    " (integers are written without a fraction or exponent)"
                }
                _ => "",
            };
            out.error(
                pointer,
                format!("{} is not of type {expected}{hint}", show(instance)),
            );
        }
        for name in &types {
            if !matches!(
                *name,
                "null" | "boolean" | "object" | "array" | "number" | "integer" | "string"
            ) {
                out.error(pointer, format!("unknown type `{name}` in the schema"));
            }
        }
    }

    fn check_number(
        &self,
        schema: &Map<String, Value>,
        instance: &Value,
        pointer: &str,
        out: &mut Outcome,
    ) {
        let Some(value) = instance.as_f64() else {
            return;
        };
        let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
        let flag = |key: &str| schema.get(key).and_then(Value::as_bool).unwrap_or(false);
        if let Some(min) = bound("minimum") {
            // OpenAPI 3.0 writes an exclusive bound as `exclusiveMinimum: true` beside it.
            if flag("exclusiveMinimum") && value <= min {
                out.error(pointer, format!("{instance} is not above {min}"));
            } else if value < min {
                out.error(pointer, format!("{instance} is below the minimum {min}"));
            }
        }
        if let Some(max) = bound("maximum") {
            if flag("exclusiveMaximum") && value >= max {
                out.error(pointer, format!("{instance} is not below {max}"));
            } else if value > max {
                out.error(pointer, format!("{instance} is above the maximum {max}"));
            }
        }
        if let Some(min) = bound("exclusiveMinimum")
            && value <= min
        {
            out.error(pointer, format!("{instance} is not above {min}"));
        }
        if let Some(max) = bound("exclusiveMaximum")
            && value >= max
        {
            out.error(pointer, format!("{instance} is not below {max}"));
        }
        if let Some(step) = bound("multipleOf")
            && step > 0.0
            && (value / step).fract() != 0.0
        {
            out.error(pointer, format!("{instance} is not a multiple of {step}"));
        }
        if let Some(format) = schema.get("format").and_then(Value::as_str) {
            let range =
                |min: i128, max: i128| integer(instance).is_some_and(|n| (min..=max).contains(&n));
            let fits = match format {
                "int8" => range(i8::MIN.into(), i8::MAX.into()),
                "int16" => range(i16::MIN.into(), i16::MAX.into()),
                "int32" => range(i32::MIN.into(), i32::MAX.into()),
                "int64" => range(i64::MIN.into(), i64::MAX.into()),
                "uint8" => range(0, u8::MAX.into()),
                "uint16" => range(0, u16::MAX.into()),
                "uint32" => range(0, u32::MAX.into()),
                "uint64" => range(0, u64::MAX.into()),
                "float" => value.is_finite() && (value as f32).is_finite(),
                _ => true,
            };
            if !fits {
                out.error(pointer, format!("{instance} does not fit format {format}"));
            }
        }
    }

    fn check_string(
        &self,
        schema: &Map<String, Value>,
        text: &str,
        pointer: &str,
        out: &mut Outcome,
    ) {
        let length = text.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && length < min
        {
            out.error(
                pointer,
                format!("a string of {length} characters is shorter than {min}"),
            );
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && length > max
        {
            out.error(
                pointer,
                format!("a string of {length} characters is longer than {max}"),
            );
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            match regex::Regex::new(pattern) {
                Ok(re) if re.is_match(text) => {}
                Ok(_) => out.error(pointer, format!("{text:?} does not match /{pattern}/")),
                Err(e) => out.error(pointer, format!("bad pattern /{pattern}/: {e}")),
            }
        }
    }

    fn check_array(
        &self,
        base: Doc<'a>,
        schema: &Map<String, Value>,
        items: &[Value],
        pointer: &str,
        depth: usize,
        out: &mut Outcome,
    ) {
        let count = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && count < min
        {
            out.error(pointer, format!("{count} items are fewer than {min}"));
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && count > max
        {
            out.error(pointer, format!("{count} items are more than {max}"));
        }
        if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
            for (i, item) in items.iter().enumerate() {
                if items[..i].iter().any(|earlier| same(earlier, item)) {
                    out.error(&format!("{pointer}/{i}"), "repeats an earlier item");
                }
            }
        }
        match schema.get("items") {
            None => {}
            Some(Value::Array(_)) => out.error(pointer, "tuple `items` (a list) is not supported"),
            Some(item_schema) => {
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{pointer}/{i}");
                    out.errors
                        .extend(self.location(base, item_schema, item, &at, depth + 1));
                }
            }
        }
    }

    fn check_object(
        &self,
        base: Doc<'a>,
        schema: &Map<String, Value>,
        object: &Map<String, Value>,
        pointer: &str,
        depth: usize,
        out: &mut Outcome,
    ) {
        if let Some(required) = schema.get("required") {
            for name in required
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !object.contains_key(name) {
                    out.error(pointer, format!("required property `{name}` is missing"));
                }
            }
        }
        let count = object.len() as u64;
        if let Some(min) = schema.get("minProperties").and_then(Value::as_u64)
            && count < min
        {
            out.error(pointer, format!("{count} properties are fewer than {min}"));
        }
        if let Some(max) = schema.get("maxProperties").and_then(Value::as_u64)
            && count > max
        {
            out.error(pointer, format!("{count} properties are more than {max}"));
        }
        let listed = schema.get("properties").and_then(Value::as_object);
        if let Some(listed) = listed {
            out.closed = true;
            for (name, property_schema) in listed {
                out.evaluated.insert(name.clone());
                if let Some(value) = object.get(name) {
                    let at = format!("{pointer}/{}", escape(name));
                    out.errors
                        .extend(self.location(base, property_schema, value, &at, depth + 1));
                }
            }
        }
        if let Some(additional) = schema.get("additionalProperties") {
            out.closed = true;
            for (name, value) in object {
                if listed.is_some_and(|l| l.contains_key(name)) {
                    continue;
                }
                let at = format!("{pointer}/{}", escape(name));
                match additional {
                    Value::Bool(false) => {
                        out.error(pointer, format!("property `{name}` is not in the schema"));
                    }
                    other => {
                        out.evaluated.insert(name.clone());
                        out.errors
                            .extend(self.location(base, other, value, &at, depth + 1));
                    }
                }
            }
        }
    }

    fn check_combinators(
        &self,
        base: Doc<'a>,
        schema: &Map<String, Value>,
        instance: &Value,
        pointer: &str,
        depth: usize,
        out: &mut Outcome,
    ) {
        let list = |key: &str| schema.get(key).and_then(Value::as_array);
        for part in list("allOf").into_iter().flatten() {
            out.absorb(self.apply(base, part, instance, pointer, depth + 1));
        }
        for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
            let Some(branches) = list(key) else {
                continue;
            };
            let mut matching = Vec::new();
            let mut failures = Vec::new();
            for (i, branch) in branches.iter().enumerate() {
                let outcome = self.apply(base, branch, instance, pointer, depth + 1);
                let mut problems = outcome.errors.clone();
                // A branch matches only if, with what the rest of this place covers, it
                // leaves no property unlisted.
                if let Value::Object(object) = instance
                    && (outcome.closed || out.closed)
                {
                    for name in object.keys() {
                        if !outcome.evaluated.contains(name) && !out.evaluated.contains(name) {
                            problems.push(format!("property `{name}` is not in this branch"));
                        }
                    }
                }
                if problems.is_empty() {
                    matching.push((i, outcome));
                } else {
                    failures.push((i, format!("[{i}] {}", problems.join("; "))));
                }
            }
            match matching.len() {
                0 => {
                    let why = match discriminated(schema, instance, branches) {
                        Picked::Branch(tag, i) => {
                            let failure = failures.iter().find(|(f, _)| *f == i);
                            format!(
                                "its {tag} picks {}",
                                failure.map_or("", |(_, problems)| problems.as_str())
                            )
                        }
                        Picked::Unknown(tag, known) => {
                            format!("its {tag} is none of the discriminator's ({known})")
                        }
                        Picked::Nothing => {
                            let all: Vec<&str> = failures.iter().map(|(_, f)| f.as_str()).collect();
                            all.join(" | ")
                        }
                    };
                    out.error(
                        pointer,
                        format!(
                            "{} matches none of the `{key}` schemas: {why}",
                            show(instance)
                        ),
                    );
                }
                n if exactly_one && n > 1 => {
                    let which: Vec<_> = matching.iter().map(|(i, _)| i.to_string()).collect();
                    out.error(
                        pointer,
                        format!(
                            "{} matches {n} `oneOf` schemas ({})",
                            show(instance),
                            which.join(", ")
                        ),
                    );
                }
                _ => {
                    for (_, outcome) in matching {
                        out.evaluated.extend(outcome.evaluated);
                        out.closed |= outcome.closed;
                    }
                }
            }
        }
        if let Some(not) = schema.get("not")
            && self
                .apply(base, not, instance, pointer, depth + 1)
                .errors
                .is_empty()
        {
            out.error(
                pointer,
                format!("{} matches the `not` schema", show(instance)),
            );
        }
    }
}

/// Which `oneOf` branch a `discriminator` mapping picks for an instance.
enum Picked {
    /// The instance's tag (`` `type` "x" ``) and the branch it maps to.
    Branch(String, usize),
    /// A tag the mapping does not know, and those it does.
    Unknown(String, String),
    /// No mapping, no tag, or a mapping to no branch.
    Nothing,
}

/// The branch of `branches` that `schema`'s discriminator mapping picks for `instance`.
fn discriminated(schema: &Map<String, Value>, instance: &Value, branches: &[Value]) -> Picked {
    let discriminator = schema.get("discriminator");
    let Some(name) = discriminator.and_then(|d| d["propertyName"].as_str()) else {
        return Picked::Nothing;
    };
    let Some(mapping) = discriminator.and_then(|d| d["mapping"].as_object()) else {
        return Picked::Nothing;
    };
    let Some(value) = instance.get(name).and_then(Value::as_str) else {
        return Picked::Nothing;
    };
    let tag = format!("`{name}` {value:?}");
    match mapping.get(value) {
        Some(target) => branches
            .iter()
            .position(|b| b.get("$ref") == Some(target))
            .map_or(Picked::Nothing, |i| Picked::Branch(tag, i)),
        None => {
            let known: Vec<&str> = mapping.keys().map(String::as_str).collect();
            Picked::Unknown(tag, known.join(", "))
        }
    }
}

/// Keywords that take part in validation (annotations aside).
const KEYWORDS: &[&str] = &[
    "$ref",
    "additionalProperties",
    "allOf",
    "anyOf",
    "const",
    "enum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "format",
    "items",
    "maxItems",
    "maxLength",
    "maxProperties",
    "maximum",
    "minItems",
    "minLength",
    "minProperties",
    "minimum",
    "multipleOf",
    "not",
    "nullable",
    "oneOf",
    "pattern",
    "properties",
    "required",
    "type",
    "uniqueItems",
];

fn is_of_type(name: &str, instance: &Value) -> bool {
    match (name, instance) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("object", Value::Object(_))
        | ("array", Value::Array(_))
        | ("number", Value::Number(_))
        | ("string", Value::String(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

/// An integer literal's value, wide enough for both i64 and u64.
fn integer(instance: &Value) -> Option<i128> {
    instance
        .as_i64()
        .map(i128::from)
        .or_else(|| instance.as_u64().map(i128::from))
}

/// JSON equality, with numbers compared by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (integer(a), integer(b)) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// A short rendering of a value for messages.
fn show(instance: &Value) -> String {
    let text = instance.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// A property name as a JSON pointer token.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Decodes `%XX` escapes in a `$ref`'s fragment (`~0`/`~1` are left to the pointer).
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

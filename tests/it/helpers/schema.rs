//! A strict validator for the JSON-Schema subset our documents use: OpenAPI 3.0 schemas
//! (`nullable`, boolean `exclusiveMinimum`, integer `format`s) and AsyncAPI 3.0 payloads
//! (JSON Schema: `const`, `type` lists such as `[string, 'null']`, boolean schemas).
//!
//! `validate(root, schema, instance)` checks `instance` against `schema`, resolving `$ref`s
//! (`#/…` pointers) in `root`, the whole document. It is stricter than JSON Schema in two
//! ways, because it checks a contract that generated clients rely on:
//! - an object whose schema lists `properties` is closed: a property that no schema applying
//!   at that place lists (its `properties`, those of its `allOf` parts and of the `anyOf` /
//!   `oneOf` branches that match) is an error, unless `additionalProperties` allows it. A
//!   schema that lists no properties (`{type: object}`) is open;
//! - `type: integer` takes integer literals only (`1`, not `1.0`).
//!
//! A keyword it does not know is an error rather than silently unchecked; annotations
//! (`description`, `example`, `x-…` and the like) are ignored.

use std::collections::BTreeSet;

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
    let errors = Checker { root }.location(schema, instance, "", 0);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
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
    root: &'a Value,
}

impl<'a> Checker<'a> {
    /// Validates a value at a new place: the schemas applying there, then whether the object
    /// there has properties none of them covers.
    fn location(
        &self,
        schema: &Value,
        instance: &Value,
        pointer: &str,
        depth: usize,
    ) -> Vec<String> {
        let mut outcome = self.apply(schema, instance, pointer, depth);
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
    fn apply(&self, schema: &Value, instance: &Value, pointer: &str, depth: usize) -> Outcome {
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
            match reference.as_str().and_then(|r| self.resolve(r)) {
                Some(target) => out.absorb(self.apply(target, instance, pointer, depth + 1)),
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
            Value::Array(items) => self.check_array(schema, items, pointer, depth, &mut out),
            Value::Object(object) => self.check_object(schema, object, pointer, depth, &mut out),
            Value::Null | Value::Bool(_) => {}
        }
        self.check_combinators(schema, instance, pointer, depth, &mut out);
        out
    }

    /// The value a local `$ref` (`#/components/schemas/X`) points to.
    fn resolve(&self, reference: &str) -> Option<&'a Value> {
        let pointer = reference.strip_prefix('#')?;
        let decoded = percent_decode(pointer)?;
        self.root.pointer(&decoded)
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
                        .extend(self.location(item_schema, item, &at, depth + 1));
                }
            }
        }
    }

    fn check_object(
        &self,
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
                        .extend(self.location(property_schema, value, &at, depth + 1));
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
                            .extend(self.location(other, value, &at, depth + 1));
                    }
                }
            }
        }
    }

    fn check_combinators(
        &self,
        schema: &Map<String, Value>,
        instance: &Value,
        pointer: &str,
        depth: usize,
        out: &mut Outcome,
    ) {
        let list = |key: &str| schema.get(key).and_then(Value::as_array);
        for part in list("allOf").into_iter().flatten() {
            out.absorb(self.apply(part, instance, pointer, depth + 1));
        }
        for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
            let Some(branches) = list(key) else {
                continue;
            };
            let mut matching = Vec::new();
            let mut failures = Vec::new();
            for (i, branch) in branches.iter().enumerate() {
                let outcome = self.apply(branch, instance, pointer, depth + 1);
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
                    failures.push(format!("[{i}] {}", problems.join("; ")));
                }
            }
            match matching.len() {
                0 => out.error(
                    pointer,
                    format!(
                        "{} matches none of the `{key}` schemas: {}",
                        show(instance),
                        failures.join(" | ")
                    ),
                ),
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
                .apply(not, instance, pointer, depth + 1)
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

//! Cases the schema validator must accept and must refuse, in OpenAPI 3.0 and AsyncAPI 3.0
//! (JSON Schema) dialects.

use serde_json::{Value, json};

use super::{Documents, validate};

/// A document for `$ref`s to point into.
fn root() -> Value {
    json!({
        "components": {
            "schemas": {
                "Event": {
                    "type": "object",
                    "required": ["event_id", "seq"],
                    "properties": {
                        "event_id": {"type": "string"},
                        "seq": {"type": "integer", "format": "int64"},
                        "txn_id": {"type": "string", "nullable": true},
                    },
                },
                "Alias": {"$ref": "#/components/schemas/Event"},
                "a/b": {"type": "string"},
                "a b": {"type": "integer"},
                "Loop": {"$ref": "#/components/schemas/Loop"},
            },
            "messages": {
                "ping": {"payload": {"type": "object", "properties": {"type": {"const": "ping"}}}},
            },
        },
    })
}

#[track_caller]
fn accepts(schema: Value, instance: Value) {
    if let Err(errors) = validate(&root(), &schema, &instance) {
        panic!("{instance} should match {schema}: {errors:?}");
    }
}

/// Asserts that validation fails with an error containing every one of `expected`.
#[track_caller]
fn refuses(schema: Value, instance: Value, expected: &[&str]) {
    match validate(&root(), &schema, &instance) {
        Ok(()) => panic!("{instance} should not match {schema}"),
        Err(errors) => {
            let all = errors.join("\n");
            for part in expected {
                assert!(all.contains(part), "expected {part:?} among:\n{all}");
            }
        }
    }
}

#[test]
fn types() {
    accepts(json!({"type": "string"}), json!("x"));
    accepts(json!({"type": "integer"}), json!(-5));
    accepts(json!({"type": "integer"}), json!(u64::MAX));
    accepts(json!({"type": "number"}), json!(5));
    accepts(json!({"type": "number"}), json!(1.5));
    accepts(json!({"type": "boolean"}), json!(false));
    accepts(json!({"type": "null"}), json!(null));
    accepts(json!({"type": "array"}), json!([1, "x"]));
    accepts(json!({"type": "object"}), json!({"anything": [1]}));
    accepts(json!({}), json!(null));
    accepts(json!(true), json!({"x": 1}));
    refuses(
        json!({"type": "string"}),
        json!(null),
        &["(root): null is not of type string"],
    );
    refuses(
        json!({"type": "string"}),
        json!(5),
        &["5 is not of type string"],
    );
    refuses(
        json!({"type": "integer"}),
        json!(1.0),
        &["integers are written without"],
    );
    refuses(
        json!({"type": "integer"}),
        json!(1.5),
        &["not of type integer"],
    );
    refuses(
        json!({"type": "boolean"}),
        json!("true"),
        &["not of type boolean"],
    );
    refuses(
        json!({"type": "object"}),
        json!([]),
        &["not of type object"],
    );
    refuses(json!({"type": "array"}), json!({}), &["not of type array"]);
    refuses(json!(false), json!(1), &["schema `false`"]);
    refuses(
        json!({"type": "text"}),
        json!("x"),
        &["unknown type `text`"],
    );
}

#[test]
fn nulls_openapi_and_json_schema_style() {
    accepts(json!({"type": "string", "nullable": true}), json!(null));
    accepts(json!({"type": "string", "nullable": true}), json!("x"));
    refuses(
        json!({"type": "string", "nullable": false}),
        json!(null),
        &["null is not"],
    );
    accepts(json!({"type": ["string", "null"]}), json!(null));
    accepts(json!({"type": ["string", "null"]}), json!("x"));
    refuses(
        json!({"type": ["string", "null"]}),
        json!(1),
        &["1 is not of type string or null"],
    );
    // How poem-openapi writes a nullable reference.
    let nullable_ref = json!({
        "nullable": true,
        "allOf": [{"$ref": "#/components/schemas/Event"}, {"nullable": true, "description": "x"}],
    });
    accepts(nullable_ref.clone(), json!(null));
    accepts(nullable_ref.clone(), json!({"event_id": "$e", "seq": 1}));
    refuses(
        nullable_ref,
        json!({"event_id": "$e"}),
        &["`seq` is missing"],
    );
    refuses(
        json!({"allOf": [{"$ref": "#/components/schemas/Event"}]}),
        json!(null),
        &["null is not of type object"],
    );
}

#[test]
fn constants_and_enums() {
    accepts(json!({"const": "ping"}), json!("ping"));
    accepts(json!({"const": 1}), json!(1.0));
    accepts(json!({"enum": ["a", "b"]}), json!("b"));
    accepts(json!({"type": "string", "enum": ["a", null]}), json!("a"));
    refuses(
        json!({"const": "ping"}),
        json!("pong"),
        &["\"pong\" is not the constant \"ping\""],
    );
    refuses(
        json!({"enum": ["a", "b"]}),
        json!("c"),
        &["\"c\" is not one of [\"a\",\"b\"]"],
    );
    refuses(json!({"enum": [1, 2]}), json!("1"), &["is not one of"]);
}

#[test]
fn references() {
    let event = json!({"event_id": "$e", "seq": 3, "txn_id": null});
    accepts(json!({"$ref": "#/components/schemas/Event"}), event.clone());
    accepts(json!({"$ref": "#/components/schemas/Alias"}), event.clone());
    accepts(json!({"$ref": "#/components/schemas/a~1b"}), json!("x"));
    accepts(json!({"$ref": "#/components/schemas/a%20b"}), json!(1));
    accepts(
        json!({"$ref": "#/components/messages/ping/payload"}),
        json!({"type": "ping"}),
    );
    refuses(
        json!({"$ref": "#/components/schemas/Alias"}),
        json!({"seq": "3"}),
        &[
            "(root): required property `event_id` is missing",
            "/seq: \"3\" is not of type integer",
        ],
    );
    refuses(
        json!({"$ref": "#/components/schemas/Nope"}),
        json!(1),
        &["cannot resolve $ref"],
    );
    refuses(
        json!({"$ref": "other.yaml#/x"}),
        json!(1),
        &["cannot resolve $ref"],
    );
    refuses(
        json!({"$ref": "#/components/schemas/Loop"}),
        json!(1),
        &["too deep"],
    );
}

#[test]
fn objects_are_closed_when_they_list_properties() {
    let event = json!({"$ref": "#/components/schemas/Event"});
    accepts(event.clone(), json!({"event_id": "$e", "seq": 1}));
    refuses(
        event.clone(),
        json!({"event_id": "$e", "seq": 1, "extra": true}),
        &["(root): property `extra` is not in the schema"],
    );
    refuses(
        json!({"type": "object", "properties": {"a": {}}}),
        json!({"b": 1}),
        &["`b`"],
    );
    // Nested places are named by JSON pointer.
    let list = json!({
        "type": "object",
        "properties": {"rooms": {"type": "array", "items": event}},
    });
    refuses(
        list.clone(),
        json!({"rooms": [{"event_id": "$e", "seq": 1}, {"event_id": 5, "seq": 1}]}),
        &["/rooms/1/event_id: 5 is not of type string"],
    );
    refuses(
        list,
        json!({"rooms": [{"event_id": "$e", "seq": 1, "x/y": 1}]}),
        &["/rooms/0: property `x/y` is not in the schema"],
    );
    // A schema that lists no properties stays open.
    accepts(
        json!({"type": "object", "properties": {"content": {"type": "object"}}}),
        json!({
            "content": {"body": "hi", "nested": {"any": 1}},
        }),
    );
    accepts(
        json!({"type": "object", "additionalProperties": true, "properties": {"a": {}}}),
        json!({
            "a": 1, "b": 2,
        }),
    );
    let counts = json!({"type": "object", "additionalProperties": {"type": "integer"}});
    accepts(counts.clone(), json!({"a": 1, "b": 2}));
    refuses(
        counts,
        json!({"a": 1, "b": "2"}),
        &["/b: \"2\" is not of type integer"],
    );
    refuses(
        json!({"properties": {"a": {}}, "additionalProperties": false}),
        json!({"a": 1, "b": 2}),
        &["property `b` is not in the schema"],
    );
    refuses(
        json!({"required": ["a"]}),
        json!({}),
        &["required property `a` is missing"],
    );
    refuses(json!({"minProperties": 1}), json!({}), &["fewer than 1"]);
    refuses(
        json!({"maxProperties": 1}),
        json!({"a": 1, "b": 2}),
        &["more than 1"],
    );
}

#[test]
fn combinators() {
    let both = json!({"allOf": [
        {"type": "object", "properties": {"a": {"type": "integer"}}},
        {"properties": {"b": {"type": "string"}}, "required": ["b"]},
    ]});
    accepts(both.clone(), json!({"a": 1, "b": "x"}));
    refuses(both.clone(), json!({"a": 1}), &["`b` is missing"]);
    refuses(
        both,
        json!({"a": 1, "b": "x", "c": 0}),
        &["property `c` is not in the schema"],
    );
    // `additionalProperties` sees only its own schema's `properties`, as in JSON Schema.
    refuses(
        json!({"allOf": [{"properties": {"a": {}}, "additionalProperties": false}, {"properties": {"b": {}}}]}),
        json!({"a": 1, "b": 2}),
        &["property `b` is not in the schema"],
    );

    // Frames told apart by a `type` constant, as AsyncAPI payloads are.
    let frames = json!({"oneOf": [
        {"type": "object", "required": ["type", "x"], "properties": {"type": {"const": "a"}, "x": {"type": "integer"}}},
        {"type": "object", "required": ["type"], "properties": {"type": {"const": "b"}, "y": {"type": "string"}}},
    ]});
    accepts(frames.clone(), json!({"type": "a", "x": 1}));
    accepts(frames.clone(), json!({"type": "b"}));
    refuses(
        frames.clone(),
        json!({"type": "a", "x": 1, "y": "z"}),
        &[
            "matches none of the `oneOf` schemas",
            "`y` is not in this branch",
        ],
    );
    refuses(
        frames.clone(),
        json!({"type": "c"}),
        &["matches none of the `oneOf` schemas"],
    );
    refuses(
        frames,
        json!({"type": "b", "y": 2}),
        &["[1] /y: 2 is not of type string"],
    );
    refuses(
        json!({"oneOf": [{"type": "integer"}, {"type": "number"}]}),
        json!(3),
        &["matches 2 `oneOf` schemas (0, 1)"],
    );
    accepts(
        json!({"anyOf": [{"type": "integer"}, {"type": "number"}]}),
        json!(3),
    );
    accepts(
        json!({"anyOf": [{"type": "string"}, {"type": "null"}]}),
        json!(null),
    );
    refuses(
        json!({"anyOf": [{"type": "string"}, {"type": "null"}]}),
        json!(1),
        &["`anyOf`"],
    );
    // Properties listed beside a `oneOf` count for every branch.
    let shared = json!({
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "oneOf": [{"properties": {"a": {}}, "required": ["a"]}, {"properties": {"b": {}}, "required": ["b"]}],
    });
    accepts(shared.clone(), json!({"id": "1", "a": 0}));
    refuses(
        shared,
        json!({"id": "1", "a": 0, "c": 0}),
        &["matches none"],
    );
    accepts(json!({"not": {"type": "string"}}), json!(1));
    refuses(
        json!({"not": {"type": "string"}}),
        json!("x"),
        &["matches the `not` schema"],
    );
}

#[test]
fn numbers() {
    accepts(
        json!({"type": "integer", "minimum": 1.0, "maximum": 3}),
        json!(3),
    );
    refuses(
        json!({"type": "integer", "minimum": 1.0}),
        json!(0),
        &["below the minimum 1"],
    );
    refuses(
        json!({"type": "integer", "maximum": 3}),
        json!(4),
        &["above the maximum 3"],
    );
    // OpenAPI 3.0 style (boolean beside the bound) and JSON Schema style (a number).
    refuses(
        json!({"minimum": 1, "exclusiveMinimum": true}),
        json!(1),
        &["not above 1"],
    );
    accepts(json!({"minimum": 1, "exclusiveMinimum": true}), json!(1.5));
    refuses(json!({"exclusiveMinimum": 1}), json!(1), &["not above 1"]);
    refuses(json!({"exclusiveMaximum": 1}), json!(1), &["not below 1"]);
    refuses(
        json!({"maximum": 1, "exclusiveMaximum": true}),
        json!(1),
        &["not below 1"],
    );
    refuses(json!({"multipleOf": 2}), json!(3), &["not a multiple of 2"]);
    accepts(
        json!({"type": "integer", "format": "uint32"}),
        json!(u32::MAX),
    );
    refuses(
        json!({"type": "integer", "format": "uint32"}),
        json!(u64::from(u32::MAX) + 1),
        &["does not fit format uint32"],
    );
    refuses(
        json!({"type": "integer", "format": "uint64"}),
        json!(-1),
        &["format uint64"],
    );
    accepts(
        json!({"type": "integer", "format": "int64"}),
        json!(i64::MIN),
    );
    refuses(
        json!({"type": "integer", "format": "int64"}),
        json!(u64::MAX),
        &["format int64"],
    );
    refuses(
        json!({"type": "integer", "format": "int32"}),
        json!(1_i64 << 31),
        &["format int32"],
    );
    accepts(json!({"type": "number", "format": "double"}), json!(1e300));
    refuses(
        json!({"type": "number", "format": "float"}),
        json!(1e300),
        &["format float"],
    );
}

#[test]
fn strings_and_arrays() {
    accepts(json!({"type": "string", "maxLength": 2}), json!("🦊🦊"));
    refuses(
        json!({"type": "string", "maxLength": 2}),
        json!("abc"),
        &["longer than 2"],
    );
    refuses(
        json!({"type": "string", "minLength": 1}),
        json!(""),
        &["shorter than 1"],
    );
    accepts(
        json!({"type": "string", "pattern": "^[a-z]+$"}),
        json!("abc"),
    );
    refuses(
        json!({"type": "string", "pattern": "^[a-z]+$"}),
        json!("aBc"),
        &["does not match"],
    );
    // Formats of strings are annotations.
    accepts(
        json!({"type": "string", "format": "date-time"}),
        json!("whenever"),
    );
    accepts(
        json!({"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 2}),
        json!([1]),
    );
    refuses(
        json!({"type": "array", "items": {"type": "integer"}}),
        json!([1, "2"]),
        &["/1: \"2\" is not"],
    );
    refuses(json!({"minItems": 1}), json!([]), &["fewer than 1"]);
    refuses(json!({"maxItems": 1}), json!([1, 2]), &["more than 1"]);
    refuses(
        json!({"uniqueItems": true}),
        json!([1, 2, 1.0]),
        &["/2: repeats an earlier item"],
    );
    refuses(
        json!({"items": [{"type": "integer"}]}),
        json!([1]),
        &["tuple `items`"],
    );
}

#[test]
fn annotations_pass_and_unknown_keywords_fail() {
    accepts(
        json!({
            "type": "string", "description": "d", "title": "t", "example": "e", "examples": ["e"],
            "default": "x", "deprecated": true, "readOnly": true, "x-internal": 1,
        }),
        json!("x"),
    );
    refuses(
        json!({"type": "object", "patternProperties": {}}),
        json!({}),
        &["unsupported keyword `patternProperties`"],
    );
    refuses(
        json!({"if": {}, "then": {}}),
        json!(1),
        &["unsupported keyword `if`"],
    );
}

#[test]
fn a_discriminator_names_the_branch_that_failed() {
    let tagged = json!({
        "oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
        "discriminator": {"propertyName": "type", "mapping": {
            "a": "#/components/schemas/A", "b": "#/components/schemas/B",
        }},
    });
    let root = json!({"components": {"schemas": {
        "A": {"type": "object", "required": ["type", "x"], "properties": {"type": {"enum": ["a"]}, "x": {"type": "integer"}}},
        "B": {"type": "object", "required": ["type"], "properties": {"type": {"enum": ["b"]}}},
    }}});
    validate(&root, &tagged, &json!({"type": "a", "x": 1})).unwrap();
    let errors = validate(&root, &tagged, &json!({"type": "a", "x": "1"}))
        .unwrap_err()
        .join("\n");
    assert!(
        errors.contains("its `type` \"a\" picks [0] /x: \"1\" is not of type integer"),
        "{errors}"
    );
    assert!(!errors.contains("[1]"), "only the picked branch: {errors}");
    let errors = validate(&root, &tagged, &json!({"type": "c"}))
        .unwrap_err()
        .join("\n");
    assert!(
        errors.contains("its `type` \"c\" is none of the discriminator's (a, b)"),
        "{errors}"
    );
}

/// Writes `files` (path, YAML or JSON) under a new temporary folder.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn references_into_other_documents_resolve_relative_to_the_referring_one() {
    let dir = folder(&[
        (
            "api/gateway.yaml",
            "components:\n  schemas:\n    Frame:\n      type: object\n      required: [room]\n      properties:\n        room: {$ref: './rest.yaml#/components/schemas/Room'}\n        kind: {$ref: 'shared/kinds.json#/Kind'}\n",
        ),
        (
            "api/rest.yaml",
            // Inside rest.yaml, `#/…` means rest.yaml; `..` climbs from its folder.
            "components:\n  schemas:\n    Room:\n      type: object\n      required: [id]\n      properties:\n        id: {$ref: '#/components/schemas/Id'}\n        owner: {$ref: '../people.yaml#/Person'}\n    Id: {type: string, minLength: 1}\n",
        ),
        (
            "api/shared/kinds.json",
            r#"{"Kind": {"enum": ["direct", "group"]}}"#,
        ),
        (
            "people.yaml",
            "Person: {type: object, properties: {name: {type: string}}}\n",
        ),
    ]);
    let docs = Documents::load(dir.path().join("api/./gateway.yaml")).unwrap();
    assert!(docs.unresolved().is_empty(), "{:?}", docs.unresolved());
    let frame = json!({"$ref": "#/components/schemas/Frame"});
    docs.validate(
        &frame,
        &json!({"room": {"id": "r", "owner": {"name": "Ann"}}, "kind": "group"}),
    )
    .unwrap();
    let errors = docs
        .validate(
            &frame,
            &json!({"room": {"id": "", "owner": {"name": 1}, "x": 0}, "kind": "many"}),
        )
        .unwrap_err()
        .join("\n");
    for expected in [
        "/room/id: a string of 0 characters is shorter than 1",
        "/room/owner/name: 1 is not of type string",
        "/room: property `x` is not in the schema",
        "/kind: \"many\" is not one of",
    ] {
        assert!(errors.contains(expected), "{expected:?} among:\n{errors}");
    }
    // The single-document API knows no other files.
    let one = docs.root().clone();
    let errors = validate(&one, &frame, &json!({"room": {"id": "r"}})).unwrap_err();
    assert!(
        errors.iter().any(|e| e.contains("cannot resolve $ref")),
        "{errors:?}"
    );
}

#[test]
fn broken_references_between_documents_are_reported() {
    let dir = folder(&[
        (
            "a.yaml",
            "A: {$ref: 'b.yaml#/Nope'}\nB: {$ref: 'b.yaml#/B'}\nC: {$ref: '#/Missing'}\n",
        ),
        ("b.yaml", "B: {type: integer}\n"),
    ]);
    let docs = Documents::load(dir.path().join("a.yaml")).unwrap();
    let unresolved = docs.unresolved();
    assert_eq!(unresolved.len(), 2, "{unresolved:?}");
    assert!(
        unresolved
            .iter()
            .any(|u| u.ends_with("a.yaml: b.yaml#/Nope"))
    );
    assert!(unresolved.iter().any(|u| u.ends_with("a.yaml: #/Missing")));
    docs.validate(&json!({"$ref": "#/B"}), &json!(1)).unwrap();
    let errors = docs
        .validate(&json!({"$ref": "#/A"}), &json!(1))
        .unwrap_err();
    assert!(errors[0].contains("cannot resolve $ref"), "{errors:?}");

    let missing = folder(&[("a.yaml", "A: {$ref: 'gone.yaml#/A'}\n")]);
    let err = Documents::load(missing.path().join("a.yaml")).unwrap_err();
    assert!(err.contains("gone.yaml"), "{err}");
    let repeated = folder(&[
        ("a.yaml", "A: {$ref: 'b.yaml#/B'}\n"),
        ("b.yaml", "B: 1\nB: 2\n"),
    ]);
    let err = Documents::load(repeated.path().join("a.yaml")).unwrap_err();
    assert!(err.contains("duplicate key `B`"), "{err}");
}

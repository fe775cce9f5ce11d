//! `Nullable<T>`: a response field that is always present and `null` when there is no value,
//! documented so (`required`, `nullable: true`). poem-openapi documents an `Option<T>` field
//! as optional and non-nullable, yet sends `null` for `None`.

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

/// A value or `null`; never left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nullable<T>(pub Option<T>);

impl<T> From<Option<T>> for Nullable<T> {
    fn from(value: Option<T>) -> Self {
        Self(value)
    }
}

impl<T: Type> Type for Nullable<T> {
    const IS_REQUIRED: bool = true;
    type RawValueType = T::RawValueType;
    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        format!("nullable_{}", T::name()).into()
    }

    fn schema_ref() -> MetaSchemaRef {
        match T::schema_ref() {
            MetaSchemaRef::Inline(schema) => MetaSchemaRef::Inline(Box::new(MetaSchema {
                nullable: true,
                ..*schema
            })),
            // OpenAPI 3.0 ignores keywords beside a `$ref`: wrap it. `nullable` counts only
            // beside a `type` (3.0.3), and every referenced schema here is an object.
            reference @ MetaSchemaRef::Reference(_) => {
                MetaSchemaRef::Inline(Box::new(MetaSchema {
                    ty: "object",
                    nullable: true,
                    all_of: vec![reference],
                    ..MetaSchema::ANY
                }))
            }
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_ref().and_then(Type::as_raw_value)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        match &self.0 {
            Some(value) => value.raw_element_iter(),
            None => Box::new(std::iter::empty()),
        }
    }

    fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

impl<T: ToJSON> ToJSON for Nullable<T> {
    fn to_json(&self) -> Option<Value> {
        Some(
            self.0
                .as_ref()
                .and_then(ToJSON::to_json)
                .unwrap_or(Value::Null),
        )
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Nullable<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            None => Err(ParseError::custom(
                "the field must be present (it may be null)",
            )),
            Some(Value::Null) => Ok(Self(None)),
            value => T::parse_from_json(value)
                .map(|v| Self(Some(v)))
                .map_err(ParseError::propagate),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_is_sent_as_null_and_documented_as_nullable_and_required() {
        assert_eq!(Nullable::<String>(None).to_json(), Some(Value::Null));
        assert_eq!(
            Nullable(Some("x".to_owned())).to_json(),
            Some(Value::String("x".into()))
        );
        const { assert!(Nullable::<String>::IS_REQUIRED) };
        let MetaSchemaRef::Inline(schema) = Nullable::<i64>::schema_ref() else {
            panic!("inline schema");
        };
        assert!(schema.nullable);
        assert_eq!((schema.ty, schema.format), ("integer", Some("int64")));
    }

    #[test]
    fn parsing_needs_the_field_but_takes_null() {
        assert_eq!(
            Nullable::<i64>::parse_from_json(Some(Value::Null)).ok(),
            Some(Nullable(None))
        );
        assert_eq!(
            Nullable::<i64>::parse_from_json(Some(Value::from(5))).ok(),
            Some(Nullable(Some(5)))
        );
        assert!(Nullable::<i64>::parse_from_json(None).is_err());
    }
}

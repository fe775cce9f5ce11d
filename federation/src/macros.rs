//! `string_identifier!`: the string conversions shared by every identifier newtype, and
//! `shared_identifier!`: comparisons for the ones that share their parts.

/// Implements `Debug`, `Display`, `FromStr`, `AsRef<str>`, `TryFrom<&str>`, `TryFrom<String>` and
/// `From<Self> for String` for a type with `parse(&str) -> Result<Self, $err>` and `as_str()`.
///
/// `Debug` prints only the identifier text (`UserId("@alice:example.org")`), not the cached parts.
macro_rules! string_identifier {
    ($ty:ident, $err:ty) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(stringify!($ty))
                    .field(&self.as_str())
                    .finish()
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $err;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = $err;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = $err;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$ty> for String {
            fn from(id: $ty) -> Self {
                id.as_str().to_owned()
            }
        }
    };
}

/// Equality, order and hashing by the whole id, for identifiers that share their parts
/// (`Arc<Parts>`): the server name is part of the whole id, so it need not be compared again.
macro_rules! shared_identifier {
    ($ty:ident) => {
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                ::std::sync::Arc::ptr_eq(&self.0, &other.0) || self.0.full == other.0.full
            }
        }

        impl Eq for $ty {}

        impl PartialOrd for $ty {
            fn partial_cmp(&self, other: &Self) -> Option<::std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $ty {
            fn cmp(&self, other: &Self) -> ::std::cmp::Ordering {
                self.0.full.cmp(&other.0.full)
            }
        }

        impl ::std::hash::Hash for $ty {
            fn hash<H: ::std::hash::Hasher>(&self, state: &mut H) {
                self.0.full.hash(state);
            }
        }
    };
}

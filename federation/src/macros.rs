//! `string_identifier!`: the string conversions shared by every identifier newtype.

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

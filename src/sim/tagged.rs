//! Decoding internally tagged enums (`#[serde(tag = "kind")]`) through one flat struct.
//!
//! serde's derived decoder for an internally tagged enum buffers the whole object into its private
//! `Content` tree and then decodes the chosen variant from that tree: a second deserializer per
//! enum, about 16 KB of wasm each. An enum whose variants are structs can instead decode a flat
//! struct of `kind` plus every variant's fields as `Option`s (the variants' fields agree in type when
//! they share a name) and build the variant from it: the same JSON documents are accepted, a missing
//! field is still reported as serde's "missing field `x`", in a fraction of the code. The enum keeps
//! its derived `Serialize`, so what is written does not change.
//!
//! Must never change a format: each user has a test that decodes old documents and the writer's output.

use serde::de::Error;

/// The value of a variant's field, or serde's own "missing field" error when the document lacks it.
pub fn required<T, E: Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(field))
}

/// For a user's test: every document decodes through `Ours` as it did through `Derived` (serde's
/// derived tagged enum, kept in the test as the reference): the same value written back, or the
/// same error (serde_json adds a position where it knows one; the message is the same).
#[cfg(test)]
pub fn assert_decodes_as_derived<Ours, Derived>(docs: &[&str])
where
    Ours: serde::de::DeserializeOwned + serde::Serialize,
    Derived: serde::de::DeserializeOwned + serde::Serialize,
{
    for doc in docs {
        let ours = serde_json::from_str::<Ours>(doc).map(|a| serde_json::to_value(a).unwrap());
        let derived = serde_json::from_str::<Derived>(doc).map(|a| serde_json::to_value(a).unwrap());
        match (ours, derived) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{doc}"),
            (Err(a), Err(b)) => {
                let (a, b) = (a.to_string(), b.to_string());
                assert_eq!(a.split(" at line").next(), b.split(" at line").next(), "{doc}");
            }
            (a, b) => panic!("{doc}: ours {a:?}, derived {b:?}"),
        }
    }
}

//! Compact JSON, byte for byte as `serde_json` writes it, written faster.
//!
//! Every stored body (an event's, an item's) is compact JSON of a type
//! with a derived `Serialize`. `serde_json` checks every byte of every
//! string it writes, the keys included, one at a time, to see whether it
//! must be escaped; on a register of a million items that check was a fifth
//! of the time spent generating its events (docs/performance.md). This
//! writer checks a whole string at once, in a loop the compiler turns into
//! wide comparisons, and copies a string that needs no escape (nearly all
//! of them) in one piece.
//!
//! The output is `serde_json::to_writer`'s exactly, which the property tests
//! of `tests/json.rs` check for events, items, commands and any
//! `serde_json::Value`. Whatever is rare, or where exactness would take
//! code of its own, is handed to `serde_json` itself: a string that needs an
//! escape, a float, bytes, and a map key that is not a string.
//!
//! ```
//! use isms_store::json;
//!
//! let value = serde_json::json!({"title": "Backups \"untested\"", "n": [1, 2.5, null]});
//! let mut out = Vec::new();
//! json::to_writer(&mut out, &value)?;
//! assert_eq!(out, serde_json::to_vec(&value)?);
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::ser::{self, Error as _, Impossible, Serialize};
use serde_json::Error;

/// Appends `value` to `out` as compact JSON: the bytes
/// `serde_json::to_writer(out, value)` appends.
///
/// # Errors
/// What `serde_json` would return: a value's own `Serialize` failed, or a
/// map key is not a string, a number, a boolean or a unit variant.
pub fn to_writer<T: ?Sized + Serialize>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(&mut Writer { out })
}

/// [`to_writer`] into a new string.
///
/// # Errors
/// As [`to_writer`].
pub fn to_string<T: ?Sized + Serialize>(value: &T) -> Result<String, Error> {
    let mut out = Vec::with_capacity(256);
    to_writer(&mut out, value)?;
    // Only whole UTF-8 strings and ASCII are written.
    String::from_utf8(out).map_err(|e| Error::custom(format!("JSON that is not UTF-8: {e}")))
}

/// Whether `s` holds a byte JSON escapes: a control character, `"` or `\`.
/// Eight bytes at a time in one word, the last word overlapping the one
/// before it, with no early exit and no byte-by-byte tail: the strings
/// written are short (most under 40 bytes), nearly all of them need no
/// escape, and a loop over bytes spent more on its tail than on the rest.
#[inline]
fn needs_escape(s: &[u8]) -> bool {
    let word = |w: &[u8; 8]| u64::from_le_bytes(*w);
    let half = |w: &[u8; 4]| u64::from(u32::from_le_bytes(*w));
    if let Some(last) = s.last_chunk::<8>() {
        let (words, _) = s.as_chunks::<8>();
        words.iter().fold(escapes_in(word(last)), |found, w| {
            found | escapes_in(word(w))
        })
    } else if let (Some(first), Some(last)) = (s.first_chunk::<4>(), s.last_chunk::<4>()) {
        escapes_in(half(first) | (half(last) << 32))
    } else {
        // Fewer than four bytes, in a word of spaces.
        escapes_in(s.iter().fold(SPACES, |w, &b| (w << 8) | u64::from(b)))
    }
}

/// Eight spaces: bytes that need no escape.
const SPACES: u64 = 0x2020_2020_2020_2020;

/// Whether a byte of `w` is below 0x20, `"` or `\`. For each, a byte of
/// the word below 0x80 is turned into one whose top bit is set exactly
/// when it is the byte sought (below 0x20, or zero after the `xor`); a
/// borrow only ever crosses a byte that was found, so the answer for the
/// whole word is exact.
#[inline]
fn escapes_in(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let below = |v: u64, n: u64| v.wrapping_sub(ONES * n) & !v;
    let (quote, backslash) = (w ^ (ONES * u64::from(b'"')), w ^ (ONES * u64::from(b'\\')));
    (below(w, 0x20) | below(quote, 1) | below(backslash, 1)) & TOPS != 0
}

/// Appends `s` as a JSON string.
#[inline]
fn put_str(out: &mut Vec<u8>, s: &str) -> Result<(), Error> {
    if needs_escape(s.as_bytes()) {
        return serde_json::to_writer(out, s);
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
    Ok(())
}

fn put_int<I: itoa::Integer>(out: &mut Vec<u8>, n: I) -> Result<(), Error> {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    Ok(())
}

/// Serializer methods that each hand their one value to `$write` with the
/// output (the integers of a value, every number and boolean of a key).
macro_rules! written_by {
    ($write:path; $($method:ident($ty:ty)),* $(,)?) => {$(
        fn $method(self, v: $ty) -> Result<(), Error> {
            $write(self.out, v)
        }
    )*};
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

/// Text written straight into the output.
struct Text<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Text<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

impl<'a, 'o> ser::Serializer for &'a mut Writer<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'o>;
    type SerializeTuple = Compound<'a, 'o>;
    type SerializeTupleStruct = Compound<'a, 'o>;
    type SerializeTupleVariant = Compound<'a, 'o>;
    type SerializeMap = Compound<'a, 'o>;
    type SerializeStruct = Compound<'a, 'o>;
    type SerializeStructVariant = Compound<'a, 'o>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    written_by!(put_int;
        serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
        serialize_i128(i128), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
        serialize_u64(u64), serialize_u128(u128),
    );

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        serde_json::to_writer(&mut *self.out, &v)
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        serde_json::to_writer(&mut *self.out, &v)
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        put_str(self.out, v.encode_utf8(&mut [0u8; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        put_str(self.out, v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        serde_json::to_writer(&mut *self.out, &serde_bytes_as_seq(v))
    }

    /// Written in place, not through a `String` of its own (serde's
    /// default): every timestamp of an event or an item comes this way.
    fn collect_str<T: ?Sized + std::fmt::Display>(self, value: &T) -> Result<(), Error> {
        let start = self.out.len();
        self.out.push(b'"');
        if std::fmt::write(&mut Text(self.out), format_args!("{value}")).is_err() {
            self.out.truncate(start);
            return Err(Error::custom(
                "a value's Display implementation returned an error",
            ));
        }
        if needs_escape(&self.out[start + 1..]) {
            let text = self.out.split_off(start + 1);
            self.out.truncate(start);
            // Only `&str`s were written into it.
            let text = String::from_utf8(text)
                .map_err(|e| Error::custom(format!("text that is not UTF-8: {e}")))?;
            return put_str(self.out, &text);
        }
        self.out.push(b'"');
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_none()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        put_str(self.out, variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.out.push(b'{');
        put_str(self.out, variant)?;
        self.out.push(b':');
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, 'o>, Error> {
        self.out.push(b'[');
        Ok(Compound::new(self, b"]"))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.out.push(b'{');
        put_str(self.out, variant)?;
        self.out.extend_from_slice(b":[");
        Ok(Compound::new(self, b"]}"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, 'o>, Error> {
        self.out.push(b'{');
        Ok(Compound::new(self, b"}"))
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.out.push(b'{');
        put_str(self.out, variant)?;
        self.out.extend_from_slice(b":{");
        Ok(Compound::new(self, b"}}"))
    }
}

/// Bytes as `serde_json` writes them: an array of numbers.
fn serde_bytes_as_seq(v: &[u8]) -> impl Serialize + '_ {
    struct Seq<'b>(&'b [u8]);
    impl Serialize for Seq<'_> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.0)
        }
    }
    Seq(v)
}

/// An array, object or variant being written; `end` closes it.
struct Compound<'a, 'o> {
    ser: &'a mut Writer<'o>,
    first: bool,
    end: &'static [u8],
}

impl<'a, 'o> Compound<'a, 'o> {
    fn new(ser: &'a mut Writer<'o>, end: &'static [u8]) -> Self {
        Self {
            ser,
            first: true,
            end,
        }
    }

    /// Writes the comma before every element but the first.
    #[inline]
    fn next(&mut self) {
        if !std::mem::replace(&mut self.first, false) {
            self.ser.out.push(b',');
        }
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.next();
        value.serialize(&mut *self.ser)
    }

    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.next();
        put_str(self.ser.out, key)?;
        self.ser.out.push(b':');
        value.serialize(&mut *self.ser)
    }

    fn close(self) -> Result<(), Error> {
        self.ser.out.extend_from_slice(self.end);
        Ok(())
    }
}

/// The four kinds of sequence write their elements alike.
macro_rules! elements {
    ($($trait:ident::$method:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;

            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }

            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.next();
        key.serialize(Key { out: self.ser.out })
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.ser.out.push(b':');
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// A struct and a struct variant write their fields alike.
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;

            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(key, value)
            }

            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

/// A map's key. A string (or what stands for one) is written here; any
/// other key is written by `serde_json` ([`key_by_serde_json`]), which
/// quotes numbers and booleans and refuses the rest.
struct Key<'o> {
    out: &'o mut Vec<u8>,
}

/// Writes `key` as `serde_json` writes a map key: it serialises a map of
/// that one key, and the key is what stands between the braces and the
/// colon.
fn key_by_serde_json<K: Serialize>(out: &mut Vec<u8>, key: K) -> Result<(), Error> {
    struct One<K>(K);
    impl<K: Serialize> Serialize for One<K> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(&self.0, &())?;
            map.end()
        }
    }
    let map = serde_json::to_vec(&One(key))?;
    // `{` key `:null}`
    let key = map
        .get(1..map.len().saturating_sub(b":null}".len()))
        .ok_or_else(|| Error::custom("serde_json wrote a map key in an unexpected form"))?;
    out.extend_from_slice(key);
    Ok(())
}

fn key_must_be_a_string() -> Error {
    Error::custom("key must be a string")
}

impl ser::Serializer for Key<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        put_str(self.out, v)
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        put_str(self.out, v.encode_utf8(&mut [0u8; 4]))
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        put_str(self.out, variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    written_by!(key_by_serde_json;
        serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
        serialize_i64(i64), serialize_i128(i128), serialize_u8(u8), serialize_u16(u16),
        serialize_u32(u32), serialize_u64(u64), serialize_u128(u128), serialize_f32(f32),
        serialize_f64(f64),
    );

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::needs_escape;

    fn naive(s: &[u8]) -> bool {
        s.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
    }

    #[test]
    fn every_byte_at_every_place_of_every_short_length_is_judged_as_one_by_one() {
        for len in 0..=40 {
            for at in 0..len {
                for b in 0..=255u8 {
                    // Around it, bytes that need no escape and that sit
                    // next to the ones that do.
                    let mut s: Vec<u8> = (0..len)
                        .map(|i| [b' ', 0x80, b'!', b'#', b'[', b']', 0xff][i % 7])
                        .collect();
                    s[at] = b;
                    assert_eq!(needs_escape(&s), naive(&s), "{s:?}");
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn any_bytes_are_judged_as_one_by_one(s in proptest::collection::vec(any::<u8>(), 0..80)) {
            prop_assert_eq!(needs_escape(&s), naive(&s));
        }
    }
}

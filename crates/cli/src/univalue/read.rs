//! JSON parsing with the acceptance rules of `UniValue::read`
//! (`src/univalue/lib/univalue_read.cpp`).
//!
//! Differences from a generic JSON parser that matter here: any value may be
//! the top-level value (`5`, `"x"`, `null`), numbers keep their text, nesting is
//! limited to [`MAX_JSON_DEPTH`] arrays/objects, lone UTF-16 surrogates in `\u`
//! escapes are rejected, and (a quirk kept for fidelity) a lone `-` at the very
//! end of the input lexes as a number.

use super::UniValue;

/// The deepest nesting of arrays and objects `UniValue::read` accepts.
pub const MAX_JSON_DEPTH: usize = 512;

/// Parses a whole document; `None` on any error or trailing garbage.
pub(super) fn parse(text: &str) -> Option<UniValue> {
    let mut p = Parser {
        b: text.as_bytes(),
        pos: 0,
    };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    (p.pos == p.b.len()).then_some(value)
}

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn keyword(&mut self, word: &str, value: UniValue) -> Option<UniValue> {
        if self.b[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Some(value)
        } else {
            None
        }
    }

    /// One value; `depth` is the number of enclosing arrays/objects.
    fn value(&mut self, depth: usize) -> Option<UniValue> {
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'n' => self.keyword("null", UniValue::Null),
            b't' => self.keyword("true", UniValue::Bool(true)),
            b'f' => self.keyword("false", UniValue::Bool(false)),
            b'"' => self.string().map(UniValue::Str),
            b'-' | b'0'..=b'9' => self.number().map(UniValue::Num),
            _ => None,
        }
    }

    fn array(&mut self, depth: usize) -> Option<UniValue> {
        if depth > MAX_JSON_DEPTH {
            return None;
        }
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(UniValue::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(UniValue::Array(items));
                }
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<UniValue> {
        if depth > MAX_JSON_DEPTH {
            return None;
        }
        self.pos += 1; // '{'
        let mut kvs = Vec::new();
        self.skip_ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(UniValue::Object(kvs));
        }
        loop {
            self.skip_ws();
            if self.peek()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek()? != b':' {
                return None;
            }
            self.pos += 1;
            self.skip_ws();
            let val = self.value(depth)?;
            kvs.push((key, val));
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(UniValue::Object(kvs));
                }
                _ => return None,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Option<String> {
        let start = self.pos;
        let first_digit = if self.b[start] == b'-' {
            start + 1
        } else {
            start
        };
        // No leading zeros ("01", "-01").
        if self.b.get(first_digit) == Some(&b'0')
            && matches!(self.b.get(first_digit + 1), Some(b'0'..=b'9'))
        {
            return None;
        }
        self.pos += 1;
        if self.b[start] == b'-' && self.pos < self.b.len() && !self.b[self.pos].is_ascii_digit() {
            return None;
        }
        self.digits();
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(String::from_utf8_lossy(&self.b[start..self.pos]).into_owned())
    }

    fn hex4(&mut self) -> Option<u32> {
        // Core requires at least one byte after the four hex digits.
        if self.pos + 4 >= self.b.len() {
            return None;
        }
        let hex = std::str::from_utf8(&self.b[self.pos..self.pos + 4]).ok()?;
        if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        u32::from_str_radix(hex, 16).ok()
    }

    fn string(&mut self) -> Option<String> {
        self.pos += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek()?;
            if c < 0x20 {
                return None;
            }
            self.pos += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let esc = self.peek()?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let ch = self.unicode_escape()?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return None,
                    }
                }
                _ => out.push(c),
            }
        }
        String::from_utf8(out).ok()
    }

    /// The character of a `\uXXXX` escape (the `\u` already consumed), joining a
    /// surrogate pair; a lone surrogate is an error, as in Core's UTF-8 filter.
    fn unicode_escape(&mut self) -> Option<char> {
        let cp = self.hex4()?;
        match cp {
            0xD800..=0xDBFF => {
                if !self.b[self.pos..].starts_with(b"\\u") {
                    return None;
                }
                self.pos += 2;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return None;
                }
                char::from_u32(0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00))
            }
            0xDC00..=0xDFFF => None,
            _ => char::from_u32(cp),
        }
    }
}

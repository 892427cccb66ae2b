//! Record size encoding, MC-NMF §2.2.2.
//!
//! Sizes are sent least-significant group first, seven bits per octet; the
//! high bit of an octet says that another octet follows. At most five octets
//! are used, which covers `0..=0xFFFF_FFFF`.
//!
//! Decoding is strict: an encoding that does not fit in 32 bits is
//! [`VarIntError::Overflow`], and a non-minimal encoding (a continuation
//! followed by a final `0x00` group, which the MC-NMF §3.1.1.2 `EncodedSize`
//! grammar excludes) is [`VarIntError::Overlong`].

/// Largest number of octets an encoded size occupies.
pub const MAX_ENCODED_LEN: usize = 5;

/// Why an encoded size was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VarIntError {
    /// The encoding needs more than 32 bits (a fifth octet above `0x0F`, or
    /// a continuation bit on the fifth octet).
    #[error("encoded size does not fit in 32 bits")]
    Overflow,
    /// The encoding is longer than necessary (its last octet is `0x00`).
    #[error("encoded size is not minimal (overlong)")]
    Overlong,
}

/// Number of octets [`encode`] produces for `value`.
pub const fn encoded_len(value: u32) -> usize {
    match value {
        0..=0x7F => 1,
        0x80..=0x3FFF => 2,
        0x4000..=0x1F_FFFF => 3,
        0x20_0000..=0x0FFF_FFFF => 4,
        _ => 5,
    }
}

/// Appends the MC-NMF §2.2.2 encoding of `value` to `out`.
pub fn encode(mut value: u32, out: &mut Vec<u8>) {
    loop {
        let group = (value & 0x7F) as u8;
        value >>= 7;
        if value == 0 {
            out.push(group);
            return;
        }
        out.push(group | 0x80);
    }
}

/// Decodes an encoded size from the start of `buf`.
///
/// Returns `Ok(None)` when `buf` ends before the encoding does (more bytes
/// are needed), otherwise the value and the number of octets it occupied.
/// Errors are reported as soon as the offending octet is seen.
pub fn decode(buf: &[u8]) -> Result<Option<(u32, usize)>, VarIntError> {
    let mut value: u32 = 0;
    for (i, &byte) in buf.iter().take(MAX_ENCODED_LEN).enumerate() {
        if i == MAX_ENCODED_LEN - 1 && byte > 0x0F {
            // Bits 32 and up, or a sixth octet: neither fits in 32 bits.
            return Err(VarIntError::Overflow);
        }
        value |= u32::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            if i > 0 && byte == 0 {
                return Err(VarIntError::Overlong);
            }
            return Ok(Some((value, i + 1)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: u32) -> Vec<u8> {
        let mut out = Vec::new();
        encode(v, &mut out);
        out
    }

    #[test]
    fn table_boundaries_from_spec() {
        // MC-NMF §2.2.2 table: one row per encoded length.
        let cases: &[(u32, &[u8])] = &[
            (0x00, &[0x00]),
            (0x7F, &[0x7F]),
            (0x80, &[0x80, 0x01]),
            (0x3FFF, &[0xFF, 0x7F]),
            (0x4000, &[0x80, 0x80, 0x01]),
            (0x1F_FFFF, &[0xFF, 0xFF, 0x7F]),
            (0x20_0000, &[0x80, 0x80, 0x80, 0x01]),
            (0x0FFF_FFFF, &[0xFF, 0xFF, 0xFF, 0x7F]),
            (0x1000_0000, &[0x80, 0x80, 0x80, 0x80, 0x01]),
            (0xFFFF_FFFF, &[0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
            // Appendix A capture: `06 bc01` is a 188-byte envelope.
            (188, &[0xBC, 0x01]),
        ];
        for &(value, bytes) in cases {
            assert_eq!(enc(value), bytes, "encode {value:#x}");
            assert_eq!(encoded_len(value), bytes.len());
            assert_eq!(
                decode(bytes),
                Ok(Some((value, bytes.len()))),
                "decode {value:#x}"
            );
        }
    }

    #[test]
    fn incomplete_needs_more() {
        assert_eq!(decode(&[]), Ok(None));
        assert_eq!(decode(&[0x80]), Ok(None));
        assert_eq!(decode(&[0xFF, 0xFF, 0xFF, 0xFF]), Ok(None));
    }

    #[test]
    fn rejects_overflow() {
        assert_eq!(
            decode(&[0xFF, 0xFF, 0xFF, 0xFF, 0x10]),
            Err(VarIntError::Overflow)
        );
        assert_eq!(
            decode(&[0xFF, 0xFF, 0xFF, 0xFF, 0x8F]),
            Err(VarIntError::Overflow)
        );
        assert_eq!(
            decode(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
            Err(VarIntError::Overflow)
        );
    }

    #[test]
    fn rejects_overlong() {
        assert_eq!(decode(&[0x80, 0x00]), Err(VarIntError::Overlong));
        assert_eq!(decode(&[0x81, 0x80, 0x00]), Err(VarIntError::Overlong));
        assert_eq!(
            decode(&[0x80, 0x80, 0x80, 0x80, 0x00]),
            Err(VarIntError::Overlong)
        );
    }

    #[test]
    fn trailing_bytes_are_not_consumed() {
        assert_eq!(decode(&[0x05, 0xAA, 0xBB]), Ok(Some((5, 1))));
    }

    proptest::proptest! {
        #[test]
        fn roundtrip(v: u32) {
            let bytes = enc(v);
            proptest::prop_assert_eq!(decode(&bytes), Ok(Some((v, bytes.len()))));
        }

        #[test]
        fn never_panics(bytes: Vec<u8>) {
            let _ = decode(&bytes);
        }
    }
}

//! Hostile input: limits are enforced with typed errors, never panics or
//! large allocations.

use nbfx::{Error, Limits, SessionDecoder, StaticDictionary};

fn limit_name(e: Error) -> &'static str {
    match e {
        Error::LimitExceeded { limit, .. } => limit,
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[test]
fn nesting_depth() {
    let mut doc = Vec::new();
    for _ in 0..100 {
        doc.extend_from_slice(&[0x40, 0x01, b'a']);
    }
    doc.extend(std::iter::repeat_n(0x01, 100));
    assert_eq!(limit_name(nbfx::decode(&doc).unwrap_err()), "max_depth");
    let limits = Limits {
        max_depth: 100,
        ..Limits::default()
    };
    assert_eq!(
        nbfx::decode_with(&doc, &StaticDictionary, &limits)
            .unwrap()
            .len(),
        200
    );
}

#[test]
fn huge_string_length_is_not_allocated() {
    // ShortElement with a 2^31-1 byte name but 3 bytes of data.
    let doc = [0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, b'a', b'b', b'c'];
    assert_eq!(
        limit_name(nbfx::decode(&doc).unwrap_err()),
        "max_string_len"
    );
    let big = Limits {
        max_string_len: usize::MAX,
        ..Limits::default()
    };
    assert!(matches!(
        nbfx::decode_with(&doc, &StaticDictionary, &big),
        Err(Error::UnexpectedEof { .. })
    ));
    // Chars32Text / Bytes32Text with huge or negative lengths.
    for rec in [0x9Cu8, 0xA2, 0xBA] {
        let doc = [0x40, 0x01, b'a', rec, 0xFF, 0xFF, 0xFF, 0x7F, 0x01];
        assert!(nbfx::decode(&doc).is_err());
        let doc = [0x40, 0x01, b'a', rec, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
        assert!(matches!(
            nbfx::decode(&doc),
            Err(Error::InvalidValue { .. })
        ));
    }
}

#[test]
fn array_length() {
    // <a> Int64 × 2^31-1 with no data.
    let doc = [
        0x03, 0x40, 0x01, b'a', 0x01, 0x8F, 0xFF, 0xFF, 0xFF, 0xFF, 0x07,
    ];
    assert_eq!(limit_name(nbfx::decode(&doc).unwrap_err()), "max_array_len");
    // Within the count limit but not backed by data.
    let doc = [0x03, 0x40, 0x01, b'a', 0x01, 0x8F, 0x80, 0x80, 0x01];
    assert!(matches!(
        nbfx::decode(&doc),
        Err(Error::UnexpectedEof { .. })
    ));
    // Zero-length arrays and non-array value types are rejected.
    assert!(nbfx::decode(&[0x03, 0x40, 0x01, b'a', 0x01, 0x8D, 0x00]).is_err());
    assert!(nbfx::decode(&[0x03, 0x40, 0x01, b'a', 0x01, 0x99, 0x01, 0x00]).is_err());
}

#[test]
fn array_expansion_counts_against_output() {
    // A long element name repeated by a 60000-item bool array.
    let mut doc = vec![0x03, 0x40, 0xC8, 0x01];
    doc.extend(std::iter::repeat_n(b'n', 200));
    doc.extend_from_slice(&[0x01, 0xB5, 0xE0, 0xD4, 0x03]);
    doc.extend(std::iter::repeat_n(0u8, 60_000));
    assert_eq!(
        limit_name(nbfx::decode(&doc).unwrap_err()),
        "max_output_bytes"
    );
}

#[test]
fn dictionary_amplification_counts_against_output() {
    // One 10 KB session string referenced 10,000 times (2 bytes each).
    let s = "x".repeat(10_000);
    let mut payload = Vec::new();
    let mut table = vec![0x90, 0x4E];
    table.extend_from_slice(s.as_bytes());
    payload.extend_from_slice(&[0x92, 0x4E]); // table size 10002
    payload.extend_from_slice(&table);
    payload.extend_from_slice(&[0x40, 0x01, b'a']);
    for _ in 0..10_000 {
        payload.extend_from_slice(&[0xAA, 0x01]);
    }
    payload.push(0x01);
    assert_eq!(
        limit_name(SessionDecoder::new().decode_envelope(&payload).unwrap_err()),
        "max_output_bytes"
    );
}

#[test]
fn session_dictionary_limits() {
    let limits = Limits {
        max_session_strings: 3,
        max_session_bytes: 8,
        ..Limits::default()
    };
    let doc = [0x40, 0x01, b'a', 0x01];
    let mut dec = SessionDecoder::with_limits(limits.clone());
    // Two strings, 4 bytes: fine.
    let env = [&[0x06, 0x02, b'a', b'b', 0x02, b'c', b'd'][..], &doc[..]].concat();
    dec.decode_envelope(&env).unwrap();
    // Two more strings exceed the count.
    assert_eq!(
        limit_name(dec.decode_envelope(&env).unwrap_err()),
        "max_session_strings"
    );
    assert_eq!(dec.dictionary().len(), 2, "failed table is not applied");
    // One 5-byte string exceeds the byte budget.
    let env = [&[0x06, 0x05, b'a', b'b', b'c', b'd', b'e'][..], &doc[..]].concat();
    assert_eq!(
        limit_name(dec.decode_envelope(&env).unwrap_err()),
        "max_session_bytes"
    );
}

#[test]
fn malformed_string_tables() {
    let doc = [0x40, 0x01, b'a', 0x01];
    // Size larger than the envelope.
    let env = [&[0x7F][..], &doc[..]].concat();
    assert!(matches!(
        SessionDecoder::new().decode_envelope(&env),
        Err(Error::InvalidStringTable(_))
    ));
    // A string running past the table size.
    let env = [&[0x02, 0x05, b'a'][..], &doc[..]].concat();
    assert!(matches!(
        SessionDecoder::new().decode_envelope(&env),
        Err(Error::InvalidStringTable(_))
    ));
    // Empty payload and table without a document.
    assert!(SessionDecoder::new().decode_envelope(&[]).is_err());
    assert!(SessionDecoder::new().decode_envelope(&[0x00]).is_err());
}

#[test]
fn structural_errors() {
    // Attribute without element, EndElement without element, reserved record.
    assert!(matches!(
        nbfx::decode(&[0x04, 0x01, b'a', 0x80]),
        Err(Error::UnexpectedRecord { .. })
    ));
    assert!(matches!(
        nbfx::decode(&[0x01]),
        Err(Error::UnexpectedRecord { .. })
    ));
    assert!(matches!(
        nbfx::decode(&[0x78]),
        Err(Error::UnknownRecord { record: 0x78, .. })
    ));
    assert!(matches!(
        nbfx::decode(&[0x00]),
        Err(Error::UnknownRecord { .. })
    ));
    // Unclosed element, text at top level, WithEndElement in an attribute.
    assert!(matches!(
        nbfx::decode(&[0x40, 0x01, b'a']),
        Err(Error::UnclosedElements { open: 1 })
    ));
    assert!(nbfx::decode(&[0x99, 0x01, b'x']).is_err());
    assert!(nbfx::decode(&[0x40, 0x01, b'a', 0x04, 0x01, b'b', 0x81, 0x01]).is_err());
    // Nested list, EndListText alone, bad bool, unknown dictionary id.
    assert!(nbfx::decode(&[0x40, 0x01, b'a', 0xA4, 0xA4, 0xA6, 0xA6, 0x01]).is_err());
    assert!(nbfx::decode(&[0x40, 0x01, b'a', 0xA6, 0x01]).is_err());
    assert!(nbfx::decode(&[0x40, 0x01, b'a', 0xB5, 0x02]).is_err());
    assert!(matches!(
        nbfx::decode(&[0x42, 0x03, 0x01]),
        Err(Error::UnknownDictionaryString { id: 3, .. })
    ));
    // Empty names, "xmlns" as a name, invalid UTF-8 / UTF-16.
    assert!(nbfx::decode(&[0x40, 0x00, 0x01]).is_err());
    assert!(nbfx::decode(&[0x40, 0x05, b'x', b'm', b'l', b'n', b's', 0x01]).is_err());
    assert!(matches!(
        nbfx::decode(&[0x40, 0x01, 0xFF, 0x01]),
        Err(Error::InvalidUtf8 { .. })
    ));
    assert!(matches!(
        nbfx::decode(&[0x40, 0x01, b'a', 0xB7, 0x02, 0x00, 0xD8]),
        Err(Error::InvalidUtf16 { .. })
    ));
    // DateTime out of range, decimal scale out of range.
    assert!(nbfx::decode(&[0x40, 0x01, b'a', 0x97, 0, 0, 0, 0, 0, 0, 0, 0xC0]).is_err());
    let mut dec = vec![0x40, 0x01, b'a', 0x95, 0, 0, 29, 0];
    dec.extend([0u8; 12]);
    assert!(nbfx::decode(&dec).is_err());
}

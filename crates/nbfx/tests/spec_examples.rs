//! MC-NBFX §3, MC-NBFS §3 and MC-NBFSE §3 structure examples.

mod spec_vectors;

use nbfx::{Dictionary, Limits, SessionDecoder};

/// The spec examples print dictionary strings as `strN`.
struct StrN(Vec<String>);

impl Dictionary for StrN {
    fn lookup(&self, id: u32) -> Option<&str> {
        self.0.get(id as usize).map(String::as_str)
    }
}

fn strn() -> StrN {
    StrN((0..2000).map(|i| format!("str{i}")).collect())
}

/// Expected characters for each MC-NBFX §3 example (the spec's
/// "Characters represented" column without its line-wrapping spaces).
const EXPECTED: &[(&str, &str)] = &[
    ("EndElement", "<doc></doc>"),
    ("Comment", "<!--comment-->"),
    ("Array", "<arr>13107</arr><arr>-30584</arr><arr>-8739</arr>"),
    ("ShortAttribute", "<doc attr=\"false\"></doc>"),
    (
        "Attribute",
        "<doc xmlns:pre=\"http://abc\" pre:attr=\"false\"></doc>",
    ),
    ("ShortDictionaryAttribute", "<doc str8=\"true\"></doc>"),
    (
        "DictionaryAttribute",
        "<doc xmlns:pre=\"http://abc\" pre:str0=\"true\"></doc>",
    ),
    ("ShortXmlnsAttribute", "<doc xmlns=\"http://abc\"></doc>"),
    ("XmlnsAttribute", "<doc xmlns:p=\"http://abc\"></doc>"),
    (
        "ShortDictionaryXmlnsAttribute",
        "<doc xmlns=\"str4\"></doc>",
    ),
    ("DictionaryXmlnsAttribute", "<doc xmlns:p=\"str4\"></doc>"),
    (
        "PrefixDictionaryAttributeF",
        "<doc xmlns:f=\"http://abc\" f:str11=\"hello\"></doc>",
    ),
    (
        "PrefixDictionaryAttributeX",
        "<doc xmlns:x=\"http://abc\" x:str21=\"world\"></doc>",
    ),
    (
        "PrefixAttributeK",
        "<doc xmlns:k=\"http://abc\" k:attr=\"true\"></doc>",
    ),
    (
        "PrefixAttributeZ",
        "<doc xmlns:z=\"http://abc\" z:abc=\"xyz\"></doc>",
    ),
    ("ShortElement", "<doc></doc>"),
    ("Element", "<pre:doc xmlns:pre=\"http://abc\"></pre:doc>"),
    ("ShortDictionaryElement", "<str14></str14>"),
    (
        "DictionaryElement",
        "<pre:str14 xmlns:pre=\"http://abc\"></pre:str14>",
    ),
    (
        "PrefixDictionaryElementA",
        "<a:str10 xmlns:a=\"http://abc\"></a:str10>",
    ),
    (
        "PrefixDictionaryElementS",
        "<s:str38 xmlns:s=\"http://abc\"></s:str38>",
    ),
    (
        "PrefixElementA",
        "<a:hello xmlns:a=\"http://abc\"></a:hello>",
    ),
    (
        "PrefixElementS",
        "<s:MyMessage xmlns:s=\"http://abc\"></s:MyMessage>",
    ),
    ("ZeroText", "<doc str416=\"0\"></doc>"),
    ("ZeroTextWithEndElement", "<abc>0</abc>"),
    ("OneText", "<doc str0=\"1\"></doc>"),
    ("OneTextWithEndElement", "<abc>1</abc>"),
    ("FalseText", "<doc str0=\"false\"></doc>"),
    ("FalseTextWithEndElement", "<abc>false</abc>"),
    ("TrueText", "<doc str0=\"true\"></doc>"),
    ("TrueTextWithEndElement", "<abc>true</abc>"),
    ("Int8Text", "<doc str236=\"-34\"></doc>"),
    ("Int8TextWithEndElement", "<str154>127</str154>"),
    ("Int16Text", "<doc str236=\"-32768\"></doc>"),
    ("Int16TextWithEndElement", "<str154>32767</str154>"),
    ("Int32Text", "<doc str236=\"123456789\"></doc>"),
    ("Int32TextWithEndElement", "<str154>2147483647</str154>"),
    ("Int64Text", "<doc str236=\"2147483648\"></doc>"),
    ("Int64TextWithEndElement", "<str154>1099511627776</str154>"),
    ("FloatText", "<doc a=\"1.1\"></doc>"),
    ("FloatTextWithEndElement", "<Price>32.45</Price>"),
    ("DoubleText", "<doc a=\"2.71828182845905\"></doc>"),
    ("DoubleTextWithEndElement", "<PI>3.14159265358979</PI>"),
    ("DecimalText", "<doc int=\"5.123456\"></doc>"),
    (
        "DecimalTextWithEndElement",
        "<MaxValue>79228162514264337593543950335</MaxValue>",
    ),
    (
        "DateTimeText",
        "<doc str110=\"9999-12-31T23:59:59.9999999\"></doc>",
    ),
    (
        "DateTimeTextWithEndElement",
        "<str108>2006-05-17T00:00:00</str108>",
    ),
    ("Chars8Text", "<doc>hello</doc>"),
    ("Chars8TextWithEndElement", "<a>hello</a>"),
    ("Chars16Text", "<doc>hello</doc>"),
    ("Chars16TextWithEndElement", "<a>hello</a>"),
    ("Chars32Text", "<doc>hello</doc>"),
    ("Chars32TextWithEndElement", "<a>hello</a>"),
    ("Bytes8Text", "<doc>AAECAwQFBgc=</doc>"),
    ("Bytes8TextWithEndElement", "<Base64>AAECAwQFBgc=</Base64>"),
    ("Bytes16Text", "<doc>AAECAwQFBgc=</doc>"),
    ("Bytes16TextWithEndElement", "<Base64>AAECAwQFBgc=</Base64>"),
    ("Bytes32Text", "<doc>AAECAwQFBgc=</doc>"),
    ("Bytes32TextWithEndElement", "<Base64>AAECAwQFBgc=</Base64>"),
    ("StartListText", "<doc a=\"123 hello true\"></doc>"),
    ("EndListText", "<doc a=\"123 hello true\"></doc>"),
    ("EmptyText", "<doc a=\"\"></doc>"),
    ("EmptyTextWithEndElement", "<doc></doc>"),
    ("DictionaryText", "<doc ns=\"str56\"></doc>"),
    ("DictionaryTextWithEndElement", "<Type>str196</Type>"),
    (
        "UniqueIdText",
        "<doc>urn:uuid:33221100-5544-7766-8899-aabbccddeeff</doc>",
    ),
    (
        "UniqueIdTextWithEndElement",
        "<str26>urn:uuid:33221100-5544-7766-8899-aabbccddeeff</str26>",
    ),
    ("TimeSpanText", "<doc>-PT5M44S</doc>"),
    ("TimeSpanTextWithEndElement", "<str916>PT3H20M</str916>"),
    (
        "UuidText",
        "<doc>03020100-0504-0706-0809-0a0b0c0d0e0f</doc>",
    ),
    (
        "UuidTextWithEndElement",
        "<ID>03020100-0504-0706-0809-0a0b0c0d0e0f</ID>",
    ),
    ("UInt64Text", "<doc>18446744073709551615</doc>"),
    (
        "UInt64TextWithEndElement",
        "<str154>18446744073709551614</str154>",
    ),
    ("BoolText", "<doc>true</doc>"),
    (
        "BoolTextWithEndElement",
        "<arr>true</arr><arr>false</arr><arr>true</arr><arr>false</arr><arr>true</arr>",
    ),
    ("UnicodeChars8Text", "<doc u=\"uni\"></doc>"),
    ("UnicodeChars8TextWithEndElement", "<U>uni</U>"),
    ("UnicodeChars16Text", "<doc u16=\"uni2\"></doc>"),
    ("UnicodeChars16TextWithEndElement", "<U16>uni2</U16>"),
    ("UnicodeChars32Text", "<doc u32=\"32\"></doc>"),
    ("UnicodeChars32TextWithEndElement", "<U32>32</U32>"),
    ("QNameDictionaryText", "<doc str880=\"i:str910\"></doc>"),
    ("QNameDictionaryTextWithEndElement", "<Type>s:str912</Type>"),
];

#[test]
fn every_mc_nbfx_example_decodes_to_its_characters() {
    let dict = strn();
    assert_eq!(spec_vectors::EXAMPLES.len(), EXPECTED.len());
    for ((name, bytes), (ename, xml)) in spec_vectors::EXAMPLES.iter().zip(EXPECTED) {
        assert_eq!(name, ename);
        let events = nbfx::decode_with(bytes, &dict, &Limits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(nbfx::to_xml(&events).unwrap(), *xml, "{name}");
    }
}

#[test]
fn every_truncation_of_every_example_is_an_error() {
    let dict = strn();
    for (name, bytes) in spec_vectors::EXAMPLES {
        for cut in 1..bytes.len() {
            assert!(
                nbfx::decode_with(&bytes[..cut], &dict, &Limits::default()).is_err(),
                "{name} truncated to {cut} bytes decoded"
            );
        }
    }
}

#[test]
fn examples_survive_decode_encode_decode() {
    // Re-encoding uses the static dictionary, so compare events resolved
    // with the static dictionary where every id the examples use exists.
    let dict = strn();
    for (name, bytes) in spec_vectors::EXAMPLES {
        let events = nbfx::decode_with(bytes, &dict, &Limits::default()).unwrap();
        let encoded = nbfx::encode(&events).unwrap_or_else(|e| panic!("{name}: {e}"));
        let again = nbfx::decode(&encoded).unwrap_or_else(|e| panic!("{name}: {e}"));
        // QNameDictionaryText whose name is not in the static dictionary
        // falls back to characters, so compare the XML text.
        assert_eq!(
            nbfx::to_xml(&again).unwrap(),
            nbfx::to_xml(&events).unwrap(),
            "{name}"
        );
    }
}

/// MC-NBFS §3: the SOAP document as a byte stream.
const NBFS_EXAMPLE: &[u8] = &[
    0x56, 0x02, 0x0B, 0x01, 0x61, 0x06, 0x0B, 0x01, 0x73, 0x04, 0x56, 0x08, 0x44, 0x0A, 0x1E, 0x00,
    0x82, 0x99, 0x06, 0x61, 0x63, 0x74, 0x69, 0x6F, 0x6E, 0x01, 0x56, 0x0E, 0x40, 0x09, 0x49, 0x6E,
    0x76, 0x65, 0x6E, 0x74, 0x6F, 0x72, 0x79, 0x81, 0x01, 0x01,
];

const NBFS_XML: &str = concat!(
    r#"<s:Envelope xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:s="http://www.w3.org/2003/05/soap-envelope">"#,
    r#"<s:Header><a:Action s:mustUnderstand="1">action</a:Action></s:Header>"#,
    r#"<s:Body><Inventory>0</Inventory></s:Body></s:Envelope>"#
);

#[test]
fn mc_nbfs_example() {
    let events = nbfx::decode(NBFS_EXAMPLE).unwrap();
    assert_eq!(nbfx::to_xml(&events).unwrap(), NBFS_XML);
    // Our encoder produces exactly the spec's bytes for this document.
    assert_eq!(nbfx::encode(&events).unwrap(), NBFS_EXAMPLE);
    // From XML text every value is a string, so `1` becomes Chars8Text.
    let from_text = nbfx::encode(&nbfx::from_xml(NBFS_XML).unwrap()).unwrap();
    assert_eq!(
        nbfx::to_xml(&nbfx::decode(&from_text).unwrap()).unwrap(),
        NBFS_XML
    );
    for cut in 1..NBFS_EXAMPLE.len() {
        assert!(nbfx::decode(&NBFS_EXAMPLE[..cut]).is_err());
    }
}

#[test]
fn mc_nbfse_example() {
    // StringTable {"action", "Inventory"} then the document with
    // `AB 01` (DictionaryTextWithEndElement) and `42 03` (ShortDictionaryElement).
    let table = [
        0x11, 0x06, 0x61, 0x63, 0x74, 0x69, 0x6F, 0x6E, 0x09, 0x49, 0x6E, 0x76, 0x65, 0x6E, 0x74,
        0x6F, 0x72, 0x79,
    ];
    let doc = [
        0x56, 0x02, 0x0B, 0x01, 0x61, 0x06, 0x0B, 0x01, 0x73, 0x04, 0x56, 0x08, 0x44, 0x0A, 0x1E,
        0x00, 0x82, 0xAB, 0x01, 0x01, 0x56, 0x0E, 0x42, 0x03, 0x81, 0x01, 0x01,
    ];
    let payload = [&table[..], &doc[..]].concat();
    let mut dec = SessionDecoder::new();
    let events = dec.decode_envelope(&payload).unwrap();
    assert_eq!(nbfx::to_xml(&events).unwrap(), NBFS_XML);
    assert_eq!(dec.dictionary().strings(), ["action", "Inventory"]);
    assert_eq!(dec.dictionary().lookup(1), Some("action"));
    assert_eq!(dec.dictionary().lookup(3), Some("Inventory"));
    // A later envelope with an empty table still sees ids 1 and 3.
    let again = dec
        .decode_envelope(&[&[0u8][..], &doc[..]].concat())
        .unwrap();
    assert_eq!(again, events);
    // Without the table the odd ids are unknown.
    let err = SessionDecoder::new()
        .decode_envelope(&[&[0u8][..], &doc[..]].concat())
        .unwrap_err();
    assert!(matches!(
        err,
        nbfx::Error::UnknownDictionaryString { id: 1, .. }
    ));
    for cut in 1..payload.len() {
        assert!(
            SessionDecoder::new()
                .decode_envelope(&payload[..cut])
                .is_err()
        );
    }
}

#[test]
fn mc_nbfse_example_encoder_uses_session_strings() {
    let events = nbfx::from_xml(NBFS_XML).unwrap();
    let mut enc = nbfx::SessionEncoder::new();
    let first = enc.encode_envelope(&events).unwrap();
    // "Inventory" is an element name, so it goes into the StringTable.
    assert_eq!(enc.dictionary().strings(), ["Inventory"]);
    let second = enc.encode_envelope(&events).unwrap();
    assert_eq!(second[0], 0, "second envelope needs no new strings");
    assert!(second.len() < first.len());
    let mut dec = SessionDecoder::new();
    assert_eq!(dec.decode_envelope(&first).unwrap(), events);
    assert_eq!(dec.decode_envelope(&second).unwrap(), events);
}

//! `from_xml`'s whitespace rule: whitespace between markup is not content in a SOAP
//! envelope and is dropped; whitespace that is the whole content of an element is a
//! string value (`<Server2Name> </Server2Name>` is the name " ") and is kept.

use nbfx::{TextValue, XmlEvent};

fn texts(xml: &str) -> Vec<String> {
    nbfx::from_xml(xml)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            XmlEvent::Text(TextValue::Text(s)) => Some(s),
            XmlEvent::Text(other) => Some(other.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn whitespace_that_is_an_elements_whole_content_is_kept() {
    assert_eq!(texts("<a> </a>"), [" "]);
    assert_eq!(texts("<a x=\"1\" xmlns:p=\"u\">\t\n</a>"), ["\t\n"]);
    assert_eq!(texts("<r>\n  <a>  </a>\n  <b>v</b>\n</r>"), ["  ", "v"]);
    assert_eq!(texts("<a><![CDATA[ ]]></a>"), [" "]);
    assert_eq!(texts("<a>&#32;</a>"), [" "]);
}

#[test]
fn whitespace_between_markup_is_dropped() {
    assert!(texts("<r>\n  <a/>\n  <b></b>\n</r>").is_empty());
    assert!(texts("<r> <!--c--> </r>").is_empty());
    assert!(texts("<r><a></a> </r>").is_empty());
    assert_eq!(texts("<a></a>"), Vec::<String>::new());
}

#[test]
fn a_one_space_string_survives_text_to_binary_and_back() {
    let events =
        nbfx::from_xml("<s:Envelope xmlns:s=\"u\"><s:Body><n> </n></s:Body></s:Envelope>").unwrap();
    let bytes = nbfx::SessionEncoder::new()
        .encode_envelope(&events)
        .unwrap();
    let back = nbfx::SessionDecoder::new().decode_envelope(&bytes).unwrap();
    assert_eq!(
        nbfx::to_xml(&back).unwrap(),
        "<s:Envelope xmlns:s=\"u\"><s:Body><n> </n></s:Body></s:Envelope>"
    );
}

//! Envelope payload ↔ SOAP envelope, per MC-NMF Known Encoding ([MC-NMF] §2.2.3.4.1).
//! Inbound binary payloads become ipam-soap's message tree straight from their MC-NBFX
//! records, names and text borrowed from the payload and the dictionaries (through XML
//! text when the tree cannot be built from them, so that a bad envelope gets the fault of
//! its text form); outbound replies are written by ipam-soap
//! either as text or, for 0x08, straight into MC-NBFX records.
//!
//! * 0x08, SOAP 1.2 binary with in-band dictionary: [MC-NBFSE] StringTable + [MC-NBFX]
//!   document, with one session dictionary per direction, cumulative over the session.
//! * 0x03, SOAP 1.2 UTF-8 text: the XML bytes, possibly behind a byte order mark (Mono
//!   writes one in each envelope).

use ipam_model::ProgressEvent;

use ipam_soap::{Fault, NotRepresentable, Request, TreeBuilder, XmlSink};
use nmf::KnownEncoding;

/// Client → server direction of one session.
#[derive(Debug)]
pub(crate) enum Inbound {
    Text,
    Binary(Box<nbfx::SessionDecoder>),
}

impl Inbound {
    /// The decoder for a session of `encoding` (the server accepts only 0x03 and 0x08).
    pub(crate) fn new(encoding: KnownEncoding, limits: nbfx::Limits) -> Self {
        match encoding {
            KnownEncoding::Soap12BinarySession => {
                Inbound::Binary(Box::new(nbfx::SessionDecoder::with_limits(limits)))
            }
            _ => Inbound::Text,
        }
    }

    pub(crate) fn is_binary(&self) -> bool {
        matches!(self, Inbound::Binary(_))
    }

    /// Decodes the request in `payload`: an `Err` when it is not valid binary XML (or its
    /// events have no XML text form), else the request or the fault to send back.
    ///
    /// Binary envelopes are read straight from their records when the message layer can
    /// build its tree from them; otherwise (a hostile or unusual envelope) through their
    /// XML text, which gives exactly the fault the text path gives.
    pub(crate) fn decode_request(
        &mut self,
        payload: &[u8],
        limits: &ipam_soap::Limits,
    ) -> Result<Result<Request, Fault>, nbfx::Error> {
        match self {
            // A byte order mark is skipped by ipam-soap's reader.
            Inbound::Text => Ok(ipam_soap::decode_request(payload, limits)),
            Inbound::Binary(decoder) => Ok(decode_binary(decoder, payload, limits)?.0),
        }
    }
}

/// How a binary request was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// Its tree was built from the decoder's records, names and text borrowed.
    Direct,
    /// Through its XML text.
    Text,
}

/// The request in one MC-NBFSE envelope: the StringTable extends the session dictionary
/// once, then the document goes record by record into the message tree; when the tree
/// cannot be built, the document is decoded again into events and read through its XML
/// text. A decoding error is the one the events decoder gives.
fn decode_binary(
    decoder: &mut nbfx::SessionDecoder,
    payload: &[u8],
    limits: &ipam_soap::Limits,
) -> Result<(Result<Request, Fault>, Read), nbfx::Error> {
    let body = decoder.apply_string_table(payload)?;
    let decoder = &*decoder;
    let mut sink = TreeSink(TreeBuilder::new(limits));
    match decoder.decode_body_into(body, &mut sink) {
        Ok(()) => {
            if let Ok(doc) = sink.0.finish() {
                return Ok((
                    ipam_soap::decode_request_document(&doc, limits),
                    Read::Direct,
                ));
            }
        }
        Err(nbfx::SinkError::Decode(e)) => return Err(e),
        Err(nbfx::SinkError::Sink(NotRepresentable)) => {}
    }
    // Stopped early or not representable: the whole document again, for its error or
    // its events.
    let events = decoder.decode_body(body)?;
    Ok((through_text(&events, limits)?, Read::Text))
}

/// The request in `events` read through their XML text.
fn through_text(
    events: &[nbfx::XmlEvent],
    limits: &ipam_soap::Limits,
) -> Result<Result<Request, Fault>, nbfx::Error> {
    let xml = nbfx::to_xml(events)?;
    Ok(ipam_soap::decode_request(xml.as_bytes(), limits))
}

/// Builds the message tree from decoded records: string text borrowed, other values as
/// their text form; a comment is not representable (the text path drops it, the tree
/// would not see it).
struct TreeSink<'a>(TreeBuilder<'a>);

impl<'a> nbfx::EventSink<'a> for TreeSink<'a> {
    type Error = NotRepresentable;

    fn start_element(&mut self, prefix: &'a str, local_name: &'a str) -> Result<(), Self::Error> {
        self.0.start_element(prefix, local_name)
    }

    fn attribute(
        &mut self,
        prefix: &'a str,
        local_name: &'a str,
        value: nbfx::Text<'a>,
    ) -> Result<(), Self::Error> {
        self.0.attribute(prefix, local_name, value.into_cow())
    }

    fn namespace(&mut self, prefix: &'a str, uri: &'a str) -> Result<(), Self::Error> {
        self.0.namespace(prefix, uri)
    }

    fn text(&mut self, value: nbfx::Text<'a>) -> Result<(), Self::Error> {
        self.0.text(value.into_cow())
    }

    fn comment(&mut self, _: &'a str) -> Result<(), Self::Error> {
        Err(NotRepresentable)
    }

    fn end_element(&mut self) -> Result<(), Self::Error> {
        self.0.end_element()
    }
}

/// A SOAP envelope the server sends ([MS-IPAMM2] §3.19.4), encoded by the writer task
/// for the session's encoding.
#[derive(Debug)]
pub(crate) enum Reply {
    /// `InitializeOperationParametersResponse` relating to a request's `a:MessageID`.
    InitializeResponse(Option<String>),
    /// `StartOperationWithCallbackResponse` relating to a request's `a:MessageID`.
    StartResponse(Option<String>),
    /// A one-way callback (§3.19.4.5–.9).
    Callback(Box<ProgressEvent>),
    /// A SOAP fault (§2.2.2.1) relating to a request's `a:MessageID`.
    Fault(Box<Fault>, Option<String>),
}

impl Reply {
    /// Writes the envelope into `sink`.
    pub(crate) fn write_to(&self, sink: &mut dyn XmlSink) {
        match self {
            Reply::InitializeResponse(id) => {
                ipam_soap::encode_initialize_response_to(id.as_deref(), sink)
            }
            Reply::StartResponse(id) => ipam_soap::encode_start_response_to(id.as_deref(), sink),
            Reply::Callback(event) => ipam_soap::encode_callback_to(event, sink),
            Reply::Fault(fault, id) => ipam_soap::encode_fault_to(fault, id.as_deref(), sink),
        }
    }

    /// The envelope as SOAP XML text.
    pub(crate) fn to_xml(&self) -> String {
        ipam_soap::to_text(|sink| self.write_to(sink))
    }
}

/// Writes the writer's calls straight into one [MC-NBFSE] envelope, no event or string
/// built in between: names as the writer splits them, declarations apart, empty text
/// dropped (`<a></a>` is `<a/>`). The writer calls `text` only for an element's whole
/// content, so whitespace is a value there and is written as it is. The first encoding
/// error is kept for [`BinarySink::finish`].
struct BinarySink<'e> {
    envelope: nbfx::EnvelopeWriter<'e>,
    error: Option<nbfx::Error>,
}

impl BinarySink<'_> {
    fn put(&mut self, call: impl FnOnce(&mut nbfx::EnvelopeWriter<'_>) -> Result<(), nbfx::Error>) {
        if self.error.is_none()
            && let Err(e) = call(&mut self.envelope)
        {
            self.error = Some(e);
        }
    }

    fn finish(self) -> Result<Vec<u8>, nbfx::Error> {
        match self.error {
            Some(e) => Err(e),
            None => self.envelope.finish(),
        }
    }
}

impl XmlSink for BinarySink<'_> {
    fn start_element(&mut self, prefix: &str, local: &str) {
        self.put(|w| w.start_element(prefix, local));
    }

    fn namespace(&mut self, prefix: &str, uri: &str) {
        self.put(|w| w.namespace(prefix, uri));
    }

    fn attribute(&mut self, prefix: &str, local: &str, value: &str) {
        self.put(|w| w.attribute(prefix, local, value));
    }

    fn text(&mut self, text: &str) {
        if !text.is_empty() {
            self.put(|w| w.text(text));
        }
    }

    fn end_element(&mut self) {
        self.put(|w| w.end_element());
    }
}

/// Server → client direction of one session.
#[derive(Debug)]
pub(crate) enum Outbound {
    Text,
    Binary(Box<nbfx::SessionEncoder>),
}

impl Outbound {
    pub(crate) fn new(encoding: KnownEncoding) -> Self {
        match encoding {
            KnownEncoding::Soap12BinarySession => {
                Outbound::Binary(Box::new(nbfx::SessionEncoder::new()))
            }
            _ => Outbound::Text,
        }
    }

    /// The envelope payload of `reply`: XML text, or MC-NBFX records written straight from
    /// the message layer (no text or event in between).
    pub(crate) fn encode(&mut self, reply: &Reply) -> Result<Vec<u8>, nbfx::Error> {
        match self {
            Outbound::Text => Ok(reply.to_xml().into_bytes()),
            Outbound::Binary(encoder) => {
                let mut sink = BinarySink {
                    envelope: encoder.envelope(),
                    error: None,
                };
                reply.write_to(&mut sink);
                sink.finish()
            }
        }
    }
}

#[cfg(test)]
#[path = "../../ipam-soap/tests/strategies/mod.rs"]
mod strategies;

#[cfg(test)]
#[path = "inbound_tests.rs"]
mod inbound_tests;

/// The records written straight from the message layer are those of `nbfx::from_xml` of
/// the text form (the events the message layer writes equal those too), so the binary wire
/// bytes are those of the text round trip.
#[cfg(test)]
mod tests {
    use ipam_model::*;
    use ipam_soap::QName;
    use proptest::prelude::*;

    use super::strategies::{event, exception, text};
    use super::*;

    /// Collects the writer's calls as [MC-NBFX] events, by the rules of [`BinarySink`].
    #[derive(Debug, Default)]
    struct NbfxEvents(Vec<nbfx::XmlEvent>);

    impl XmlSink for NbfxEvents {
        fn start_element(&mut self, prefix: &str, local: &str) {
            self.0.push(nbfx::XmlEvent::start(prefix, local));
        }

        fn namespace(&mut self, prefix: &str, uri: &str) {
            self.0.push(nbfx::XmlEvent::xmlns(prefix, uri));
        }

        fn attribute(&mut self, prefix: &str, local: &str, value: &str) {
            self.0.push(nbfx::XmlEvent::attr(prefix, local, value));
        }

        fn text(&mut self, text: &str) {
            if !text.is_empty() {
                self.0.push(nbfx::XmlEvent::text(text));
            }
        }

        fn end_element(&mut self) {
            self.0.push(nbfx::XmlEvent::EndElement);
        }
    }

    fn assert_same_events(reply: &Reply) {
        let mut direct = NbfxEvents::default();
        reply.write_to(&mut direct);
        let xml = reply.to_xml();
        let parsed = nbfx::from_xml(&xml).expect("the text form parses");
        assert_eq!(direct.0, parsed, "{xml}");
        let wire = |events: &[nbfx::XmlEvent]| {
            nbfx::SessionEncoder::new()
                .encode_envelope(events)
                .expect("encodes")
        };
        // Twice over one session: the second envelope uses the strings the first defined.
        let mut session = Outbound::Binary(Box::new(nbfx::SessionEncoder::new()));
        let first = session.encode(reply).expect("encodes");
        assert_eq!(first, wire(&parsed), "{xml}");
        let mut events_session = nbfx::SessionEncoder::new();
        events_session.encode_envelope(&parsed).expect("encodes");
        assert_eq!(
            session.encode(reply).expect("encodes"),
            events_session.encode_envelope(&parsed).expect("encodes"),
            "{xml}"
        );
    }

    /// Strings the text form escapes, normalizes, replaces or drops.
    const AWKWARD: &[&str] = &[
        "",
        " ",
        " \t\r\n ",
        "a&b<c>d\"e'f",
        "line\r\nbreak\rcr\ttab\n",
        "ctl\u{1}\u{8}\u{B}\u{FFFE}\u{FFFF}end",
        "]]>",
        "&amp; &#x41; &lt;",
        "é漢🦀",
    ];

    fn awkward_exception(i: usize) -> IpamException {
        let m = AWKWARD[i % AWKWARD.len()];
        IpamException::new(IpamExceptionId::IpamApiInvalidParameter, m).with_inner(
            IpamException::new(IpamExceptionId::IpamClientMessageSizeExceeded, m)
                .with_inner(IpamException::invalid_parameter(m)),
        )
    }

    fn sub_task(m: &str, failed: Option<IpamException>) -> SubTaskInstance {
        SubTaskInstance {
            failed_completion_status: failed,
            is_non_deterministic_progress: true,
            progress_status_descriptions: Some(m.to_owned()),
            sub_task_instance_details: Some(FailoverDataFormatter {
                failover_name: Some(m.to_owned()),
                server1_name: None,
                server2_name: Some(m.to_owned()),
            }),
            sub_task_instance_id: 7,
            sub_task_name: Some(m.to_owned()),
            sub_task_status: SubTaskStatus::ALL[1],
            sub_task_unique_id: -3,
        }
    }

    #[test]
    fn every_message_kind_with_awkward_strings() {
        for (i, m) in AWKWARD.iter().enumerate() {
            let id = Some((*m).to_owned());
            assert_same_events(&Reply::InitializeResponse(id.clone()));
            assert_same_events(&Reply::StartResponse(id.clone()));
            assert_same_events(&Reply::StartResponse(None));
            let events = [
                ProgressEvent::StartProgressCallback {
                    is_non_deterministic: i % 2 == 0,
                },
                ProgressEvent::AddSubTask {
                    sub_task_instance: sub_task(m, Some(awkward_exception(i))),
                },
                ProgressEvent::SetSubTaskStatus {
                    sub_task_instance: sub_task(m, None),
                    status: SubTaskStatus::ALL[2],
                    percent_complete: 42,
                    completion_status: Some(awkward_exception(i)),
                },
                ProgressEvent::SetCompletionPercentage {
                    completion_percentage: 100,
                },
                ProgressEvent::SetOverallStatus {
                    overall_status: OverallProgressStatus::CompletedWithSuccess,
                    completion_status: Some(DhcpMsmOverallCompletionStatus {
                        entity_status: vec![
                            EntityStatus {
                                is_successful: true,
                                object_type: IpamObjectType::ALL[0],
                                operation_type: EntityOperationType::ALL[1],
                                record_id: 9,
                            };
                            2
                        ],
                        error_info: Some(awkward_exception(i)),
                        return_object: Some(DhcpFailover {
                            relationship_name: Some((*m).to_owned()),
                            server1_name: Some((*m).to_owned()),
                            server1_ip: Some([10, 0, 0, 1].into()),
                            operation_tracker: Some(vec![Default::default()]),
                            modified_properties: Some(vec![(*m).to_owned(), String::new()]),
                            shared_secret: Some(b"secret".to_vec()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                },
            ];
            for e in events {
                assert_same_events(&Reply::Callback(Box::new(e)));
            }
            let mut faults = vec![
                Fault::from(awkward_exception(i)),
                Fault::action_not_supported(m),
                Fault::action_required(),
                Fault::version_mismatch(m),
                Fault::must_understand(QName::new("", "Header")),
                Fault::must_understand(QName::new(format!("urn:h:{m}"), "Header")),
            ];
            let mut other = Fault::from(awkward_exception(i));
            other.subcode = Some(QName::new(format!("urn:sub:{m}"), "Other"));
            other.problem_action = Some((*m).to_owned());
            faults.push(other);
            for f in faults {
                assert_same_events(&Reply::Fault(Box::new(f), id.clone()));
            }
        }
    }

    /// A string of only whitespace is a value: the client decodes the callback with the
    /// very strings the server sent (docs/spec-decisions.md, "Writing").
    #[test]
    fn whitespace_only_strings_reach_the_client_as_they_are() {
        for m in [" ", " \t\r\n ", ""] {
            let event = ProgressEvent::AddSubTask {
                sub_task_instance: sub_task(m, None),
            };
            let mut session = Outbound::Binary(Box::new(nbfx::SessionEncoder::new()));
            let payload = session
                .encode(&Reply::Callback(Box::new(event.clone())))
                .expect("encodes");
            let events = nbfx::SessionDecoder::new()
                .decode_envelope(&payload)
                .expect("decodes");
            let xml = nbfx::to_xml(&events).expect("has a text form");
            match ipam_soap::decode_server_message(xml.as_bytes(), &ipam_soap::Limits::default()) {
                Ok(ipam_soap::ServerMessage::Callback(got)) => assert_eq!(got, event, "{m:?}"),
                other => panic!("{m:?}: {other:?}"),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn callbacks(e in event()) {
            assert_same_events(&Reply::Callback(Box::new(e)));
        }

        #[test]
        fn faults(e in exception(), id in proptest::option::of(text())) {
            assert_same_events(&Reply::Fault(Box::new(Fault::from(e)), id));
        }

        #[test]
        fn responses(id in proptest::option::of(text())) {
            assert_same_events(&Reply::InitializeResponse(id.clone()));
            assert_same_events(&Reply::StartResponse(id));
        }
    }
}

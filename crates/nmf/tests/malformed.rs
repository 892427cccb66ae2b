//! Hostile and malformed input: each case yields the right fault or error,
//! never a panic, and never buffers an untrusted size.

mod common;

use common::{drive_whole, last_error};
use nmf::{
    EncodeError, Event, FramingError, FramingFault, KnownEncoding, Limits, Mode, RecordType,
    ServerConnection, encode_fault, encode_preamble, encode_sized_envelope, varint::VarIntError,
};

const VIA: &str = "net.tcp://ipam.example/Ipam";

fn preamble(encoding: KnownEncoding) -> Vec<u8> {
    encode_preamble(VIA, Mode::Duplex, encoding).unwrap()
}

fn open_session() -> Vec<u8> {
    let mut v = preamble(KnownEncoding::Soap12BinarySession);
    v.push(0x0c);
    v
}

/// Runs `bytes` and checks the final error, its fault, and the bytes written.
fn expect(bytes: &[u8], err: FramingError, fault: Option<FramingFault>) {
    let t = drive_whole(Limits::default(), bytes);
    assert_eq!(last_error(&t), err);
    assert_eq!(err.fault(), fault);
    assert!(t.finished);
    if let Some(f) = fault {
        assert!(t.written.ends_with(&encode_fault(f)), "{:?}", t.written);
    }
}

#[test]
fn garbage_http_request() {
    expect(
        b"GET / HTTP/1.1\r\n\r\n",
        FramingError::UnknownRecordType(b'G'),
        Some(FramingFault::InvalidRecordSequence),
    );
}

#[test]
fn garbage_reserved_record_types() {
    for ty in 0x0d..=0xff {
        expect(
            &[ty],
            FramingError::UnknownRecordType(ty),
            Some(FramingFault::InvalidRecordSequence),
        );
    }
}

#[test]
fn record_out_of_order() {
    // An envelope before any preamble.
    expect(
        &[0x06, 0x01, 0x00],
        FramingError::UnexpectedRecord {
            record: RecordType::SizedEnvelope,
            expected: "Version",
        },
        Some(FramingFault::InvalidRecordSequence),
    );
    // An envelope before Preamble End.
    let mut bytes = preamble(KnownEncoding::Soap12Utf8);
    bytes.extend([0x06, 0x01, 0x41]);
    expect(
        &bytes,
        FramingError::UnexpectedRecord {
            record: RecordType::SizedEnvelope,
            expected: "Upgrade Request or Preamble End",
        },
        Some(FramingFault::InvalidRecordSequence),
    );
    // A second Preamble End inside the session.
    let mut bytes = open_session();
    bytes.push(0x0c);
    expect(
        &bytes,
        FramingError::UnexpectedRecord {
            record: RecordType::PreambleEnd,
            expected: "Sized Envelope or End",
        },
        Some(FramingFault::InvalidRecordSequence),
    );
}

#[test]
fn truncated_frames_wait_without_error() {
    let mut full = open_session();
    full.extend(encode_sized_envelope(&[0x55; 300]).unwrap());
    full.push(0x07);
    for cut in 0..full.len() {
        let mut conn = ServerConnection::default();
        conn.receive(&full[..cut]);
        while let Some(ev) = conn.poll_event() {
            match ev.expect("a prefix of a valid stream is never an error") {
                Event::PreambleComplete(_) => {
                    conn.accept_preamble().unwrap();
                }
                Event::Envelope(p) => assert_eq!(p.len(), 300),
                other => panic!("unexpected {other:?} at cut {cut}"),
            }
        }
        assert!(!conn.is_finished());
    }
}

#[test]
fn four_gib_envelope_size_is_refused_without_allocating() {
    let mut bytes = open_session();
    bytes.extend([0x06, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    let mut conn = ServerConnection::default();
    conn.receive(&bytes);
    assert!(matches!(
        conn.poll_event(),
        Some(Ok(Event::PreambleComplete(_)))
    ));
    conn.accept_preamble().unwrap();
    let err = conn.poll_event().unwrap().unwrap_err();
    assert_eq!(
        err,
        FramingError::EnvelopeTooLarge {
            size: 0xffff_ffff,
            max: 65536
        }
    );
    assert_eq!(err.fault(), Some(FramingFault::MaxMessageSizeExceeded));
    assert!(conn.is_finished());
    assert_eq!(conn.buffered_len(), 0);
    // The error comes as soon as the size is known, before any payload.
    expect(
        &bytes,
        FramingError::EnvelopeTooLarge {
            size: 0xffff_ffff,
            max: 65536,
        },
        Some(FramingFault::MaxMessageSizeExceeded),
    );
}

#[test]
fn four_gib_via_and_upgrade_and_content_type() {
    let huge = [0xff, 0xff, 0xff, 0xff, 0x0f];
    let mut via = vec![0x00, 0x01, 0x00, 0x01, 0x02, 0x02];
    via.extend(huge);
    expect(
        &via,
        FramingError::ViaTooLong {
            size: u32::MAX,
            max: 2048,
        },
        Some(FramingFault::ViaTooLong),
    );
    let mut ct = preamble(KnownEncoding::Soap12Utf8);
    ct.truncate(ct.len() - 2);
    ct.push(0x04);
    ct.extend(huge);
    expect(
        &ct,
        FramingError::ContentTypeTooLong {
            size: u32::MAX,
            max: 256,
        },
        Some(FramingFault::ContentTypeTooLong),
    );
    let mut up = preamble(KnownEncoding::Soap12Utf8);
    up.push(0x09);
    up.extend(huge);
    expect(
        &up,
        FramingError::UpgradeProtocolTooLong {
            size: u32::MAX,
            max: 256,
        },
        Some(FramingFault::UpgradeInvalid),
    );
    // A fault from the client that is too long: close without answering.
    expect(
        &[0x08, 0xff, 0xff, 0xff, 0xff, 0x0f],
        FramingError::FaultTooLong {
            size: u32::MAX,
            max: 2048,
        },
        None,
    );
}

#[test]
fn envelope_size_limit_boundary() {
    let limits = Limits::with_max_envelope_size(1000);
    let mut ok = open_session();
    ok.extend(encode_sized_envelope(&[1; 1000]).unwrap());
    let t = drive_whole(limits.clone(), &ok);
    assert!(matches!(&t.events[..], [Ok(_), Ok(Event::Envelope(p))] if p.len() == 1000));
    let mut bad = open_session();
    bad.extend(encode_sized_envelope(&[1; 1001]).unwrap());
    let t = drive_whole(limits, &bad);
    assert_eq!(
        last_error(&t),
        FramingError::EnvelopeTooLarge {
            size: 1001,
            max: 1000
        }
    );
}

#[test]
fn configurable_large_envelopes() {
    let limits = Limits::with_max_envelope_size(8 * 1024 * 1024);
    let payload = vec![7u8; 5 * 1024 * 1024];
    let mut bytes = open_session();
    bytes.extend(encode_sized_envelope(&payload).unwrap());
    let t = common::drive(limits, bytes.chunks(64 * 1024));
    assert!(matches!(&t.events[..], [Ok(_), Ok(Event::Envelope(p))] if *p == payload));
}

#[test]
fn unsupported_known_encodings() {
    for enc in [0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x07, 0x09, 0x7f, 0xff] {
        let mut bytes = preamble(KnownEncoding::Soap12Utf8);
        *bytes.last_mut().unwrap() = enc;
        expect(
            &bytes,
            FramingError::UnsupportedEncoding { encoding: enc },
            Some(FramingFault::ContentTypeInvalid),
        );
    }
}

#[test]
fn supported_known_encodings() {
    for enc in [
        KnownEncoding::Soap12Utf8,
        KnownEncoding::Soap12BinarySession,
    ] {
        let mut bytes = preamble(enc);
        bytes.push(0x0c);
        let t = drive_whole(Limits::default(), &bytes);
        let [Ok(Event::PreambleComplete(p))] = &t.events[..] else {
            panic!("{:?}", t.events)
        };
        assert_eq!(p.encoding, enc);
        assert_eq!(t.written, [0x0b]);
    }
}

#[test]
fn extensible_encoding_is_refused() {
    let mut bytes = preamble(KnownEncoding::Soap12Utf8);
    bytes.truncate(bytes.len() - 2);
    bytes.extend(b"\x04\x1bapplication/soap+xml; q=0.5");
    expect(
        &bytes,
        FramingError::UnsupportedContentType {
            content_type: "application/soap+xml; q=0.5".into(),
        },
        Some(FramingFault::ContentTypeInvalid),
    );
}

#[test]
fn wrong_versions() {
    for (major, minor) in [(0, 0), (2, 0), (0xff, 0xff)] {
        expect(
            &[0x00, major, minor],
            FramingError::UnsupportedVersion { major, minor },
            Some(FramingFault::UnsupportedVersion),
        );
    }
    // Like WCF (MC-NMF §6 note <3>), 1.x is accepted.
    let mut bytes = open_session();
    bytes[2] = 0x07;
    let t = drive_whole(Limits::default(), &bytes);
    assert!(matches!(&t.events[..], [Ok(Event::PreambleComplete(p))] if p.version.minor == 7));
}

#[test]
fn unsupported_modes() {
    for mode in [0x00, 0x01, 0x03, 0x04, 0x05, 0xff] {
        expect(
            &[0x00, 0x01, 0x00, 0x01, mode],
            FramingError::UnsupportedMode { mode },
            Some(FramingFault::UnsupportedMode),
        );
    }
}

#[test]
fn overlong_and_overflowing_sizes() {
    expect(
        &[0x00, 0x01, 0x00, 0x01, 0x02, 0x02, 0x80, 0x00],
        FramingError::InvalidSize(VarIntError::Overlong),
        Some(FramingFault::InvalidRecordSequence),
    );
    let mut bytes = open_session();
    bytes.extend([0x06, 0x85, 0x80, 0x80, 0x80, 0x00]);
    expect(
        &bytes,
        FramingError::InvalidSize(VarIntError::Overlong),
        Some(FramingFault::InvalidRecordSequence),
    );
    // More than 32 bits: closed without a fault (MC-NMF §6 note <21>).
    let mut bytes = open_session();
    bytes.extend([0x06, 0xff, 0xff, 0xff, 0xff, 0x1f]);
    expect(
        &bytes,
        FramingError::InvalidSize(VarIntError::Overflow),
        None,
    );
    let mut bytes = open_session();
    bytes.extend([0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(
        &bytes,
        FramingError::InvalidSize(VarIntError::Overflow),
        None,
    );
}

#[test]
fn zero_sizes_and_bad_utf8() {
    expect(
        &[0x00, 0x01, 0x00, 0x01, 0x02, 0x02, 0x00],
        FramingError::ZeroSize {
            record: RecordType::Via,
        },
        Some(FramingFault::InvalidRecordSequence),
    );
    let mut bytes = open_session();
    bytes.extend([0x06, 0x00]);
    expect(
        &bytes,
        FramingError::ZeroSize {
            record: RecordType::SizedEnvelope,
        },
        Some(FramingFault::InvalidRecordSequence),
    );
    expect(
        &[0x00, 0x01, 0x00, 0x01, 0x02, 0x02, 0x02, 0xc3, 0x28],
        FramingError::InvalidUtf8 {
            record: RecordType::Via,
        },
        Some(FramingFault::InvalidRecordSequence),
    );
}

#[test]
fn fault_from_client_closes_without_answer() {
    let uri = FramingFault::ServerTooBusy.uri();
    let mut bytes = open_session();
    bytes.push(0x08);
    bytes.push(uri.len() as u8);
    bytes.extend(uri.as_bytes());
    let t = drive_whole(Limits::default(), &bytes);
    let err = last_error(&t);
    assert_eq!(err.received_fault(), Some(FramingFault::ServerTooBusy));
    assert_eq!(err.fault(), None);
    assert_eq!(t.written, [0x0b], "only the Preamble Ack");
}

#[test]
fn upgrade_accept_hands_over_pipelined_bytes() {
    let mut bytes = preamble(KnownEncoding::Soap12BinarySession);
    bytes.extend(b"\x09\x15application/negotiate");
    let token = [0x16, 0x01, 0x00, 0x00, 0x03, 0xaa, 0xbb, 0xcc];
    bytes.extend(token);
    let mut conn = ServerConnection::default();
    conn.receive(&bytes);
    assert_eq!(
        conn.poll_event(),
        Some(Ok(Event::UpgradeRequested {
            content_type: "application/negotiate".into()
        }))
    );
    assert_eq!(conn.poll_event(), None, "waits for the decision");
    assert!(conn.accept_preamble().is_err());
    let up = conn.accept_upgrade().unwrap();
    assert_eq!(up.response, [0x0a]);
    assert_eq!(up.upgraded_bytes, token);
    // The upgraded layer feeds back the decrypted NMF stream.
    conn.receive(&[0x0c, 0x06, 0x01, 0x42]);
    assert!(matches!(
        conn.poll_event(),
        Some(Ok(Event::PreambleComplete(_)))
    ));
    conn.accept_preamble().unwrap();
    assert_eq!(conn.poll_event(), Some(Ok(Event::Envelope(vec![0x42]))));
}

#[test]
fn pipelined_preamble_and_envelopes_in_one_read() {
    let mut bytes = open_session();
    for i in 1..=3u8 {
        bytes.extend(encode_sized_envelope(&vec![i; usize::from(i) * 100]).unwrap());
    }
    bytes.push(0x07);
    let t = drive_whole(Limits::default(), &bytes);
    assert_eq!(t.events.len(), 5);
    assert!(t.events.iter().all(Result::is_ok));
    assert_eq!(*t.written.last().unwrap(), 0x07);
}

#[test]
fn pooled_connection_reuse_after_end() {
    let mut session = open_session();
    session.extend(encode_sized_envelope(b"x").unwrap());
    session.push(0x07);
    let t = drive_whole(Limits::default(), &session.repeat(3));
    assert_eq!(t.events.len(), 9);
    assert!(!t.finished);
    // New preamble bytes are held until the server has sent its End.
    let mut conn = ServerConnection::default();
    conn.receive(&session.repeat(2));
    assert!(matches!(
        conn.poll_event(),
        Some(Ok(Event::PreambleComplete(_)))
    ));
    conn.accept_preamble().unwrap();
    assert!(matches!(conn.poll_event(), Some(Ok(Event::Envelope(_)))));
    assert_eq!(conn.poll_event(), Some(Ok(Event::End)));
    assert_eq!(conn.poll_event(), None);
    conn.end().unwrap();
    assert!(matches!(
        conn.poll_event(),
        Some(Ok(Event::PreambleComplete(_)))
    ));
}

#[test]
fn buffer_limit() {
    let limits = Limits::default();
    let max = limits.max_buffered_bytes;
    let mut conn = ServerConnection::new(limits);
    conn.receive(&open_session());
    assert!(matches!(
        conn.poll_event(),
        Some(Ok(Event::PreambleComplete(_)))
    ));
    // Not accepting the preamble: everything stays buffered.
    conn.receive(&vec![0x07; max + 1]);
    let err = conn.poll_event().unwrap().unwrap_err();
    assert!(matches!(err, FramingError::BufferLimitExceeded { .. }));
    assert_eq!(err.fault(), Some(FramingFault::ServerTooBusy));
    assert!(conn.is_finished());
    conn.receive(&open_session());
    assert_eq!(conn.poll_event(), None, "finished connections stay silent");
}

#[test]
fn send_rules() {
    let mut conn = ServerConnection::default();
    assert_eq!(
        conn.send_envelope(b"x"),
        Err(EncodeError::NotAllowed("session not open for sending"))
    );
    assert!(conn.end().is_err());
    assert!(conn.accept_preamble().is_err());
    assert!(conn.refuse_upgrade().is_err());
    assert!(conn.accept_upgrade().is_err());
    conn.receive(&open_session());
    conn.poll_event().unwrap().unwrap();
    conn.accept_preamble().unwrap();
    assert_eq!(
        conn.send_envelope(b""),
        Err(EncodeError::Empty {
            record: RecordType::SizedEnvelope
        })
    );
    conn.end().unwrap();
    assert!(conn.send_envelope(b"x").is_err(), "no envelopes after End");
}

#[test]
fn endpoint_not_found_rejection() {
    let mut conn = ServerConnection::default();
    conn.receive(&open_session());
    let Some(Ok(Event::PreambleComplete(p))) = conn.poll_event() else {
        panic!()
    };
    assert_eq!(p.via, VIA);
    assert_eq!(
        conn.fault(FramingFault::EndpointNotFound),
        encode_fault(FramingFault::EndpointNotFound)
    );
    assert!(conn.is_finished());
}

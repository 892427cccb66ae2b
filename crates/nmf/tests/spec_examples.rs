//! MC-NMF examples. §4.1's byte figures are images that our copy of the
//! spec does not carry, so they are rebuilt from the session it describes
//! (Version 1.0, Duplex, Via `net.tcp://SampleServer/SampleApp/`, Binary
//! Session Encoding) and the record layouts of §2.2. §2.2.5's fault URI and
//! §3.1.1.1.6's fault exchanges are checked as well.

mod common;

use common::{drive_whole, last_error};
use nmf::{
    ClientConnection, ClientEvent, Event, FramingError, FramingFault, KnownEncoding, Limits, Mode,
    Record, RecordType, ServerConnection, Version, decode_record, encode_end, encode_fault,
    encode_preamble, encode_preamble_ack, encode_preamble_end, encode_sized_envelope,
    encode_upgrade_request, encode_upgrade_response,
};

const VIA: &str = "net.tcp://SampleServer/SampleApp/";

fn preamble_bytes() -> Vec<u8> {
    let mut v = vec![0x00, 0x01, 0x00, 0x01, 0x02, 0x02, 0x21];
    v.extend_from_slice(VIA.as_bytes());
    v.extend_from_slice(&[0x03, 0x08]);
    v
}

/// Decodes `bytes` as exactly one record.
fn decode_one(bytes: &[u8]) -> Record {
    let (record, n) = decode_record(bytes, &Limits::default()).unwrap().unwrap();
    assert_eq!(n, bytes.len(), "whole input is one record");
    record
}

#[test]
fn section_4_1_1_preamble_message() {
    let bytes = preamble_bytes();
    assert_eq!(VIA.len(), 0x21);
    assert_eq!(
        encode_preamble(VIA, Mode::Duplex, KnownEncoding::Soap12BinarySession).unwrap(),
        bytes
    );
    assert_eq!(decode_one(&bytes[..3]), Record::Version(Version::V1_0));
    assert_eq!(decode_one(&bytes[3..5]), Record::Mode(Mode::Duplex));
    assert_eq!(decode_one(&bytes[5..5 + 2 + 0x21]), Record::Via(VIA.into()));
    assert_eq!(
        decode_one(&bytes[bytes.len() - 2..]),
        Record::KnownEncoding(KnownEncoding::Soap12BinarySession)
    );
}

#[test]
fn section_4_1_2_and_4_1_3_preamble_end_and_ack() {
    assert_eq!(encode_preamble_end(), [0x0c]);
    assert_eq!(decode_one(&[0x0c]), Record::PreambleEnd);
    assert_eq!(encode_preamble_ack(), [0x0b]);
    assert_eq!(decode_one(&[0x0b]), Record::PreambleAck);
}

#[test]
fn section_4_1_4_and_4_1_5_sized_envelopes() {
    let payload: Vec<u8> = (0..=255u8).cycle().take(300).collect();
    let bytes = encode_sized_envelope(&payload).unwrap();
    assert_eq!(&bytes[..3], &[0x06, 0xac, 0x02]); // 300 = 0x12c
    assert_eq!(decode_one(&bytes), Record::SizedEnvelope(payload));
}

#[test]
fn section_4_1_6_and_4_1_7_end() {
    assert_eq!(encode_end(), [0x07]);
    assert_eq!(decode_one(&[0x07]), Record::End);
}

#[test]
fn section_4_1_whole_duplex_exchange() {
    let mut client = ClientConnection::default();
    let mut server = ServerConnection::default();
    let hello = client
        .start(VIA, KnownEncoding::Soap12BinarySession)
        .unwrap();
    assert_eq!(hello, [preamble_bytes(), vec![0x0c]].concat());
    server.receive(&hello);
    let Some(Ok(Event::PreambleComplete(p))) = server.poll_event() else {
        panic!()
    };
    assert_eq!(p.via, VIA);
    client.receive(&server.accept_preamble().unwrap());
    assert_eq!(client.poll_event(), Some(Ok(ClientEvent::PreambleAck)));

    server.receive(&client.send_envelope(b"<request/>").unwrap());
    let Some(Ok(Event::Envelope(req))) = server.poll_event() else {
        panic!()
    };
    assert_eq!(req, b"<request/>");
    client.receive(&server.send_envelope(b"<reply/>").unwrap());
    assert_eq!(
        client.poll_event(),
        Some(Ok(ClientEvent::Envelope(b"<reply/>".to_vec())))
    );

    server.receive(&client.end().unwrap());
    assert_eq!(server.poll_event(), Some(Ok(Event::End)));
    client.receive(&server.end().unwrap());
    assert_eq!(client.poll_event(), Some(Ok(ClientEvent::End)));
    assert!(server.is_idle());
}

#[test]
fn section_2_2_5_fault_record_example() {
    let uri = "http://schemas.microsoft.com/ws/2006/05/framing/faults/UnsupportedMode";
    let bytes = encode_fault(FramingFault::UnsupportedMode);
    assert_eq!(bytes[0], 0x08);
    assert_eq!(bytes[1] as usize, uri.len());
    assert_eq!(bytes[1], 0x46);
    assert_eq!(&bytes[2..], uri.as_bytes());
    assert_eq!(decode_one(&bytes), Record::Fault(uri.into()));
}

#[test]
fn section_2_2_3_upgrade_records() {
    let bytes = encode_upgrade_request("application/negotiate").unwrap();
    assert_eq!(&bytes[..2], &[0x09, 0x15]);
    assert_eq!(
        decode_one(&bytes),
        Record::UpgradeRequest("application/negotiate".into())
    );
    assert_eq!(encode_upgrade_response(), [0x0a]);
    assert_eq!(decode_one(&[0x0a]), Record::UpgradeResponse);
}

#[test]
fn section_2_2_4_3_unsized_envelope() {
    // Two chunks, "abc" and "de", then the 0x00 terminator.
    let bytes = [0x05, 0x03, b'a', b'b', b'c', 0x02, b'd', b'e', 0x00];
    assert_eq!(
        decode_one(&bytes),
        Record::UnsizedEnvelope(b"abcde".to_vec())
    );
    assert_eq!(
        Record::UnsizedEnvelope(b"abcde".to_vec())
            .to_bytes()
            .unwrap(),
        [0x05, 0x05, b'a', b'b', b'c', b'd', b'e', 0x00]
    );
    // Incomplete until the terminator arrives.
    assert_eq!(decode_record(&bytes[..8], &Limits::default()), Ok(None));
    // §2.2.4.3: the first chunk MUST be present.
    assert_eq!(
        decode_record(&[0x05, 0x00], &Limits::default()),
        Err(FramingError::EmptyUnsizedEnvelope)
    );
}

#[test]
fn section_2_2_3_4_2_extensible_encoding() {
    let ct = "application/soap+msbinsession1+gzip";
    let rec = Record::ExtensibleEncoding(ct.into());
    let bytes = rec.to_bytes().unwrap();
    assert_eq!(bytes[0], 0x04);
    assert_eq!(decode_one(&bytes), rec);
}

#[test]
fn every_record_type_roundtrips() {
    let records = [
        Record::Version(Version::V1_0),
        Record::Mode(Mode::SingletonUnsized),
        Record::Mode(Mode::Simplex),
        Record::Mode(Mode::SingletonSized),
        Record::Via(VIA.into()),
        Record::KnownEncoding(KnownEncoding::Soap12Utf8),
        Record::ExtensibleEncoding("text/xml".into()),
        Record::UnsizedEnvelope(vec![1, 2, 3]),
        Record::SizedEnvelope(vec![4, 5, 6]),
        Record::End,
        Record::Fault(FramingFault::ServerTooBusy.uri().into()),
        Record::UpgradeRequest("application/ssl-tls".into()),
        Record::UpgradeResponse,
        Record::PreambleAck,
        Record::PreambleEnd,
    ];
    for (i, rec) in records.iter().enumerate() {
        let bytes = rec.to_bytes().unwrap();
        assert_eq!(RecordType::from_byte(bytes[0]), Some(rec.record_type()));
        assert_eq!(&decode_one(&bytes), rec, "record {i}");
    }
    for byte in 0x00..=0x08 {
        let enc = KnownEncoding::from_byte(byte).unwrap();
        assert_eq!(decode_one(&[0x03, byte]), Record::KnownEncoding(enc));
    }
}

/// §3.1.1.1.6 Figure 8: unsupported version.
#[test]
fn section_3_1_1_1_6_unsupported_version() {
    let t = drive_whole(Limits::default(), &[0x00, 0x02, 0x00, 0x01, 0x02]);
    assert_eq!(
        last_error(&t),
        FramingError::UnsupportedVersion { major: 2, minor: 0 }
    );
    assert_eq!(t.written, encode_fault(FramingFault::UnsupportedVersion));
    assert!(t.finished);
}

/// §3.1.1.1.6 Figure 9: upgrade invalid.
#[test]
fn section_3_1_1_1_6_upgrade_invalid() {
    let mut bytes = preamble_bytes();
    bytes.extend(encode_upgrade_request("application/negotiate").unwrap());
    let t = drive_whole(Limits::default(), &bytes);
    assert_eq!(
        t.events,
        [Ok(Event::UpgradeRequested {
            content_type: "application/negotiate".into()
        })]
    );
    assert_eq!(t.written, encode_fault(FramingFault::UpgradeInvalid));
    assert!(t.finished);
}

/// §3.1.1.1.6 Figure 10: maximum message size exceeded.
#[test]
fn section_3_1_1_1_6_max_message_size_exceeded() {
    let limits = Limits::with_max_envelope_size(100);
    let mut bytes = preamble_bytes();
    bytes.push(0x0c);
    bytes.extend(encode_sized_envelope(&[0xab; 101]).unwrap());
    let t = drive_whole(limits, &bytes);
    assert_eq!(
        last_error(&t),
        FramingError::EnvelopeTooLarge {
            size: 101,
            max: 100
        }
    );
    assert_eq!(
        t.written,
        [
            vec![0x0b],
            encode_fault(FramingFault::MaxMessageSizeExceeded)
        ]
        .concat()
    );
}

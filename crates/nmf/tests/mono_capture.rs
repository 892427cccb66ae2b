//! The captured Mono NetTcpBinding session (transport-interop.md Appendix A).

mod common;

use common::{MONO_C2S, MONO_S2C, concat, drive, drive_bytewise, drive_whole, segments};
use nmf::{
    ClientConnection, ClientEvent, Event, KnownEncoding, Limits, Mode, Preamble, Record,
    ServerConnection, Version, decode_record,
};

fn expected_preamble() -> Preamble {
    Preamble {
        version: Version::V1_0,
        mode: Mode::Duplex,
        via: "net.tcp://127.0.0.1:18808/Echo".into(),
        encoding: KnownEncoding::Soap12BinarySession,
    }
}

#[test]
fn server_decodes_client_stream_segment_by_segment() {
    let segs = segments(MONO_C2S);
    let t = drive(Limits::default(), segs.iter().map(Vec::as_slice));
    assert!(!t.finished);
    let mut events = t.events.into_iter().map(Result::unwrap);
    assert_eq!(
        events.next(),
        Some(Event::PreambleComplete(expected_preamble()))
    );
    let sizes: Vec<usize> = events
        .by_ref()
        .take(3)
        .map(|e| match e {
            Event::Envelope(p) => p.len(),
            other => panic!("expected envelope, got {other:?}"),
        })
        .collect();
    assert_eq!(sizes, [188, 187, 186]);
    assert_eq!(events.next(), Some(Event::End));
    assert_eq!(events.next(), None);
}

#[test]
fn envelope_payloads_are_the_bytes_after_the_size() {
    let mut conn = ServerConnection::default();
    conn.receive(&concat(MONO_C2S));
    let Some(Ok(Event::PreambleComplete(_))) = conn.poll_event() else {
        panic!("no preamble");
    };
    // Before the decision nothing else is delivered, even though it is buffered.
    assert_eq!(conn.poll_event(), None);
    assert_eq!(conn.accept_preamble().unwrap(), [0x0b]);
    assert_eq!(conn.session(), Some(&expected_preamble()));
    for seg in &segments(&MONO_C2S[1..4]) {
        let Some(Ok(Event::Envelope(payload))) = conn.poll_event() else {
            panic!("no envelope");
        };
        let header = seg.len() - payload.len();
        assert_eq!(header, 3, "type octet + two-octet size");
        assert_eq!(&seg[header..], payload.as_slice());
        // NBFSE string table of the first request: 02 | 01 73 ("s").
        if seg[1] == 0xbc {
            assert_eq!(&payload[..5], &[0x02, 0x01, 0x73, 0x56, 0x02]);
        }
    }
    assert_eq!(conn.poll_event(), Some(Ok(Event::End)));
    assert_eq!(conn.poll_event(), None);
}

#[test]
fn whole_and_bytewise_feeding_agree() {
    let bytes = concat(MONO_C2S);
    let whole = drive_whole(Limits::default(), &bytes);
    assert_eq!(whole.events.len(), 5);
    assert_eq!(drive_bytewise(Limits::default(), &bytes), whole);
}

#[test]
fn server_replies_reencode_to_the_captured_bytes() {
    // Decode the server's side of the capture with the record codec and
    // re-encode it with the server API: byte-identical.
    let s2c = segments(MONO_S2C);
    let mut conn = ServerConnection::default();
    conn.receive(&concat(&MONO_C2S[..1]));
    assert!(matches!(
        conn.poll_event(),
        Some(Ok(Event::PreambleComplete(_)))
    ));
    assert_eq!(conn.accept_preamble().unwrap(), s2c[0]);
    for seg in &s2c[1..4] {
        let (Record::SizedEnvelope(payload), n) =
            decode_record(seg, &Limits::default()).unwrap().unwrap()
        else {
            panic!("not a sized envelope");
        };
        assert_eq!(n, seg.len());
        assert_eq!(&conn.send_envelope(&payload).unwrap(), seg);
    }
    conn.receive(&[0x07]);
    assert_eq!(conn.poll_event(), Some(Ok(Event::End)));
    assert_eq!(conn.end().unwrap(), s2c[4]);
    assert!(conn.is_idle(), "ready for a pooled reuse");
}

#[test]
fn client_reproduces_request_bytes_and_decodes_replies() {
    let c2s = segments(MONO_C2S);
    let mut client = ClientConnection::default();
    let preamble = client
        .start(
            "net.tcp://127.0.0.1:18808/Echo",
            KnownEncoding::Soap12BinarySession,
        )
        .unwrap();
    assert_eq!(preamble, c2s[0]);
    for seg in &c2s[1..4] {
        assert_eq!(&client.send_envelope(&seg[3..]).unwrap(), seg);
    }

    let mut events = Vec::new();
    for seg in segments(MONO_S2C) {
        client.receive(&seg);
        while let Some(ev) = client.poll_event() {
            events.push(ev.unwrap());
        }
    }
    assert_eq!(events[0], ClientEvent::PreambleAck);
    let sizes: Vec<usize> = events[1..4]
        .iter()
        .map(|e| match e {
            ClientEvent::Envelope(p) => p.len(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(sizes, [0x79, 0x6c, 0x6e]);
    assert_eq!(events[4], ClientEvent::End);
    assert_eq!(client.end().unwrap(), c2s[4]);
}

#[test]
fn client_decodes_server_stream_bytewise() {
    let mut client = ClientConnection::default();
    client
        .start(
            "net.tcp://127.0.0.1:18808/Echo",
            KnownEncoding::Soap12BinarySession,
        )
        .unwrap();
    let mut n = 0;
    for b in concat(MONO_S2C) {
        client.receive(&[b]);
        while let Some(ev) = client.poll_event() {
            ev.unwrap();
            n += 1;
        }
    }
    assert_eq!(n, 5);
    assert!(!client.is_finished());
}

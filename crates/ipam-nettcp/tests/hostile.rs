//! Hostile input ([MC-NMF] §5.1): each bad connection gets its framing fault or a closed
//! connection, without allocating for untrusted sizes, while another session on the same
//! listener keeps working. And the InactivityTimer ([MS-IPAMM2] §3.1.5).

mod common;

use std::time::Duration;

use common::*;
use ipam_model::*;
use ipam_nettcp::NetTcpOptions;
use ipam_soap::ServerMessage;
use nmf::{FramingFault, Record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn preamble(encoding: u8) -> Vec<u8> {
    let mut p = vec![0x00, 0x01, 0x00, 0x01, 0x02, 0x02, 0x0b];
    p.extend_from_slice(b"net.tcp://x");
    p.extend_from_slice(&[0x03, encoding, 0x0c]);
    p
}

/// Writes `bytes` (then, if `half_close`, shuts the write side), reads until the server
/// closes, and returns the records received.
async fn exchange(addr: std::net::SocketAddr, bytes: &[u8], half_close: bool) -> Vec<Record> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    // The server may close before everything is written; that is fine.
    let _ = s.write_all(bytes).await;
    if half_close {
        let _ = s.shutdown().await;
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(WAIT, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server did not close the connection"),
        }
    }
    let mut records = Vec::new();
    let limits = nmf::Limits::default();
    let mut rest = &got[..];
    while let Ok(Some((r, len))) = nmf::decode_record(rest, &limits) {
        records.push(r);
        rest = &rest[len..];
    }
    assert!(rest.is_empty(), "undecodable reply {got:02x?}");
    records
}

fn fault(f: FramingFault) -> Record {
    Record::Fault(f.uri().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_connections_fail_alone() {
    let server = TestServer::start(NetTcpOptions::default()).await;
    let addr = server.addr;

    // A good session, started before and finished after the hostile ones.
    let mut good = Client::connect(addr, BINARY).await;
    let (id, reply) = good
        .initialize(Some(&create(
            ipam_testkit::failover("survivor", server.servers[0], server.servers[1]),
            server.scopes[0][..2].to_vec(),
        )))
        .await;
    assert_response(&reply, "InitializeOperationParametersResponse", &id);

    let too_big = {
        let mut b = preamble(0x08);
        b.push(0x06);
        // 64 KiB + 1: one more than max_message_size.
        b.extend_from_slice(&[0x81, 0x80, 0x04]);
        b
    };
    let cases: Vec<(&str, Vec<u8>, bool, Vec<Record>)> = vec![
        (
            "garbage",
            vec![0xff; 4096],
            false,
            vec![fault(FramingFault::InvalidRecordSequence)],
        ),
        (
            "http request",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            false,
            vec![fault(FramingFault::InvalidRecordSequence)],
        ),
        (
            "wrong version",
            vec![0x00, 0x02, 0x00, 0x01, 0x02],
            false,
            vec![fault(FramingFault::UnsupportedVersion)],
        ),
        (
            "simplex mode",
            vec![0x00, 0x01, 0x00, 0x01, 0x03],
            false,
            vec![fault(FramingFault::UnsupportedMode)],
        ),
        (
            "unknown encoding",
            preamble(0x09),
            false,
            vec![fault(FramingFault::ContentTypeInvalid)],
        ),
        (
            "sessionless binary encoding",
            preamble(0x07),
            false,
            vec![fault(FramingFault::ContentTypeInvalid)],
        ),
        (
            "upgrade request",
            {
                let mut b = preamble(0x08);
                b.pop();
                b.push(0x09);
                b.push(21);
                b.extend_from_slice(b"application/negotiate");
                b
            },
            false,
            vec![fault(FramingFault::UpgradeInvalid)],
        ),
        (
            "4 GiB size prefix",
            {
                let mut b = preamble(0x08);
                b.extend_from_slice(&[0x06, 0xff, 0xff, 0xff, 0xff, 0x0f]);
                b
            },
            false,
            vec![
                Record::PreambleAck,
                fault(FramingFault::MaxMessageSizeExceeded),
            ],
        ),
        (
            "2 GiB size prefix",
            {
                let mut b = preamble(0x08);
                b.extend_from_slice(&[0x06, 0xff, 0xff, 0xff, 0xff, 0x07]);
                b
            },
            false,
            vec![
                Record::PreambleAck,
                fault(FramingFault::MaxMessageSizeExceeded),
            ],
        ),
        (
            "envelope over max_message_size",
            too_big,
            false,
            vec![
                Record::PreambleAck,
                fault(FramingFault::MaxMessageSizeExceeded),
            ],
        ),
        (
            "truncated preamble",
            vec![0x00, 0x01, 0x00, 0x01, 0x02, 0x02, 0x30, b'n'],
            true,
            vec![],
        ),
        (
            "truncated envelope",
            {
                let mut b = preamble(0x08);
                b.extend_from_slice(&[0x06, 0x64, 0x01, 0x02, 0x03]);
                b
            },
            true,
            vec![Record::PreambleAck],
        ),
        (
            "envelope before the preamble",
            vec![0x06, 0x01, 0x00],
            false,
            vec![fault(FramingFault::InvalidRecordSequence)],
        ),
        (
            "a second preamble",
            {
                let mut b = preamble(0x08);
                b.extend(preamble(0x08));
                b
            },
            false,
            vec![
                Record::PreambleAck,
                fault(FramingFault::InvalidRecordSequence),
            ],
        ),
    ];
    let mut tasks = Vec::new();
    for (name, bytes, half_close, expected) in cases {
        tasks.push(tokio::spawn(async move {
            let got = exchange(addr, &bytes, half_close).await;
            assert_eq!(got, expected, "{name}");
        }));
    }
    // Malformed binary XML in a well-framed envelope: a SOAP fault, then the connection
    // closes (the session dictionary can no longer be trusted).
    tasks.push(tokio::spawn(async move {
        let mut c = Client::connect(addr, BINARY).await;
        let bytes = c
            .nmf
            .send_envelope(&[0x00, 0x56, 0x02, 0xff, 0xff])
            .unwrap();
        c.stream.write_all(&bytes).await.unwrap();
        match c.message().await {
            ServerMessage::Fault(f) => assert_eq!(
                f.detail.unwrap().exception_id,
                IpamExceptionId::IpamApiInvalidParameter
            ),
            other => panic!("{other:?}"),
        }
        assert!(c.event().await.is_none());
    }));
    // Text that is not XML: a SOAP fault; the session goes on.
    tasks.push(tokio::spawn(async move {
        let mut c = Client::connect(addr, TEXT).await;
        let bytes = c.nmf.send_envelope(b"\xff\xfe not xml").unwrap();
        c.stream.write_all(&bytes).await.unwrap();
        assert!(matches!(c.message().await, ServerMessage::Fault(_)));
        c.close().await;
    }));
    for t in tasks {
        t.await.unwrap();
    }

    let (id, callbacks, reply) = good.start().await;
    assert_response(&reply, "StartOperationWithCallbackResponse", &id);
    assert_ends_with_overall_status(&callbacks);
    good.close().await;
    assert_eq!(server.failovers().await.len(), 1);
    assert!(server.open_sessions_become(0).await);
    server.shutdown().await;
}

/// §3.1.5: after `grace + 1` ticks without a message the session is aborted; Keepalive
/// messages (§2.2.2.2) keep it alive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inactivity_timer() {
    let tick = Duration::from_millis(100);
    let server = TestServer::start(NetTcpOptions {
        inactivity_tick: tick,
        keepalive_grace_count: 3,
        ..Default::default()
    })
    .await;

    // Kept alive well past 4 ticks by keepalives.
    let mut c = Client::connect(server.addr, BINARY).await;
    let started = tokio::time::Instant::now();
    while started.elapsed() < tick * 10 {
        c.send(&ipam_soap::encode_keepalive()).await;
        tokio::time::sleep(tick / 2).await;
    }
    // Then idle: closed after about 4 ticks, not before 3.
    let idle = tokio::time::Instant::now();
    assert!(c.event().await.is_none(), "the idle session is aborted");
    let waited = idle.elapsed();
    assert!(waited >= tick * 3, "closed too early: {waited:?}");
    assert!(waited < tick * 20, "closed too late: {waited:?}");

    // A socket that never sends a preamble is dropped the same way.
    let mut raw = TcpStream::connect(server.addr).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(WAIT, raw.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0);

    // A session that stays busy is not aborted: a full operation after idling 2 ticks.
    let mut c = Client::connect(server.addr, TEXT).await;
    tokio::time::sleep(tick * 2).await;
    let callbacks = c
        .run(&create(
            ipam_testkit::failover("busy", server.servers[0], server.servers[1]),
            vec![server.scopes[0][0]],
        ))
        .await;
    assert_ends_with_overall_status(&callbacks);

    // A pooled connection idle between sessions is closed the same way.
    c.end().await;
    assert!(server.open_sessions_become(0).await);
    let idle = tokio::time::Instant::now();
    assert!(
        c.event().await.is_none(),
        "the idle pooled connection is closed"
    );
    let waited = idle.elapsed();
    assert!(waited >= tick * 3, "closed too early: {waited:?}");
    assert!(waited < tick * 20, "closed too late: {waited:?}");
    server.shutdown().await;
}

/// A client that never reads: its writes back up, the others are unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_does_not_read_does_not_block_others() {
    let server = TestServer::start(NetTcpOptions {
        write_timeout: Duration::from_millis(500),
        ..Default::default()
    })
    .await;
    let mut stalled = Client::connect(server.addr, TEXT).await;
    // Many faults queued for a reader that never reads.
    let bad = ipam_soap::encode_start_request("urn:uuid:0", None)
        .replace("/StartOperationWithCallback<", "/Nope<");
    let frame = stalled.frame(&bad);
    let writer = tokio::spawn(async move {
        for _ in 0..20_000 {
            if stalled.stream.write_all(&frame).await.is_err() {
                break;
            }
        }
        stalled
    });
    let mut c = Client::connect(server.addr, BINARY).await;
    let callbacks = c
        .run(&create(
            ipam_testkit::failover("unblocked", server.servers[0], server.servers[1]),
            vec![server.scopes[1][0]],
        ))
        .await;
    assert_ends_with_overall_status(&callbacks);
    c.close().await;
    drop(writer);
    server.shutdown().await;
}

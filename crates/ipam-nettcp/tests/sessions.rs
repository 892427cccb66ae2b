//! End to end over a real listener: the four failover operations in both encodings, the
//! callbacks as they are streamed, faults, pipelining and shutdown.

mod common;

use common::*;
use ipam_model::*;
use ipam_nettcp::NetTcpOptions;
use ipam_soap::ServerMessage;
use nmf::ClientEvent;
use tokio::io::AsyncWriteExt;

/// CreateDhcpFailover with three scopes ([MS-IPAMM2] §3.19.4.4.1.23): one sub-task for the
/// relationship, one per scope batch, as the engine reports them.
const CREATE_CALLBACKS: &[&str] = &[
    "StartProgressCallback",
    "AddSubTask",
    "SetSubTaskStatus",
    "SetCompletionPercentage",
    "AddSubTask",
    "SetSubTaskStatus",
    "SetSubTaskStatus",
    "SetCompletionPercentage",
    "SetOverallStatus",
];
const ADD_CALLBACKS: &[&str] = &[
    "StartProgressCallback",
    "AddSubTask",
    "SetCompletionPercentage",
    "SetSubTaskStatus",
    "SetCompletionPercentage",
    "SetOverallStatus",
];
const REMOVE_CALLBACKS: &[&str] = &[
    "StartProgressCallback",
    "AddSubTask",
    "AddSubTask",
    "SetCompletionPercentage",
    "SetSubTaskStatus",
    "SetCompletionPercentage",
    "SetSubTaskStatus",
    "SetCompletionPercentage",
    "SetOverallStatus",
];
const DELETE_CALLBACKS: &[&str] = &[
    "StartProgressCallback",
    "AddSubTask",
    "SetSubTaskStatus",
    "SetSubTaskStatus",
    "SetCompletionPercentage",
    "SetOverallStatus",
];

async fn lifecycle(encoding: nmf::KnownEncoding) {
    let server = TestServer::start(NetTcpOptions::default()).await;
    let (s1, s2) = (server.servers[0], server.servers[1]);
    let scopes = server.scopes[0].clone();

    // Create with three scopes.
    let mut c = Client::connect(server.addr, encoding).await;
    let callbacks = c
        .run(&create(
            ipam_testkit::failover("nettcp-1", s1, s2),
            scopes[..3].to_vec(),
        ))
        .await;
    assert_eq!(names(&callbacks), CREATE_CALLBACKS);
    match callbacks.last().unwrap() {
        ProgressEvent::SetOverallStatus { overall_status, .. } => {
            assert_eq!(*overall_status, OverallProgressStatus::CompletedWithSuccess)
        }
        other => panic!("{other:?}"),
    }
    c.close().await;
    let rows = server.failovers().await;
    assert_eq!(rows.len(), 1);
    let (failover, linked) = &rows[0];
    assert_eq!(failover.relationship_name.as_deref(), Some("nettcp-1"));
    assert_eq!(linked, &scopes[..3].to_vec());
    let id = failover.record_id;
    let mut f = ipam_testkit::failover("nettcp-1", s1, s2);
    f.record_id = id;

    // Add the fourth scope.
    let mut c = Client::connect(server.addr, encoding).await;
    let callbacks = c.run(&add(f.clone(), vec![scopes[3]])).await;
    assert_eq!(names(&callbacks), ADD_CALLBACKS);
    c.close().await;
    assert_eq!(server.failovers().await[0].1, scopes);

    // Remove two.
    let mut c = Client::connect(server.addr, encoding).await;
    let callbacks = c.run(&remove(vec![scopes[0], scopes[1]])).await;
    assert_eq!(names(&callbacks), REMOVE_CALLBACKS);
    c.close().await;
    assert_eq!(server.failovers().await[0].1, scopes[2..].to_vec());

    // Delete.
    let mut c = Client::connect(server.addr, encoding).await;
    let callbacks = c.run(&delete(f)).await;
    assert_eq!(names(&callbacks), DELETE_CALLBACKS);
    c.close().await;
    assert!(server.failovers().await.is_empty());
    assert_eq!(ipam_testkit::counts(&server.ts.store).await, [2, 8, 0, 0]);

    assert!(server.open_sessions_become(0).await);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_lifecycle_binary() {
    lifecycle(BINARY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_lifecycle_text() {
    lifecycle(TEXT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_lifecycle_text_without_bom() {
    let server = TestServer::start(NetTcpOptions::default()).await;
    let mut c = Client::connect(server.addr, TEXT).await;
    c.bom = false;
    let (s1, s2) = (server.servers[0], server.servers[1]);
    let callbacks = c
        .run(&create(
            ipam_testkit::failover("nobom", s1, s2),
            server.scopes[0][..3].to_vec(),
        ))
        .await;
    assert_eq!(names(&callbacks), CREATE_CALLBACKS);
    c.close().await;
    server.shutdown().await;
}

/// The engine's IpamException comes back as the fault reply to StartOperationWithCallback,
/// after the callbacks, with RelatesTo; the session stays usable for End.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_scope_is_an_ipam_exception_fault() {
    for encoding in [BINARY, TEXT] {
        let server = TestServer::start(NetTcpOptions::default()).await;
        let (s1, s2) = (server.servers[0], server.servers[1]);
        let mut c = Client::connect(server.addr, encoding).await;
        let (id, reply) = c
            .initialize(Some(&create(
                ipam_testkit::failover("bad-scope", s1, s2),
                vec![server.scopes[0][0], 999_999_999],
            )))
            .await;
        assert_response(&reply, "InitializeOperationParametersResponse", &id);
        let (id, callbacks, reply) = c.start().await;
        assert_eq!(
            callbacks.first().map(ProgressEvent::name),
            Some("StartProgressCallback")
        );
        match callbacks.last().unwrap() {
            ProgressEvent::SetOverallStatus { overall_status, .. } => {
                assert_eq!(*overall_status, OverallProgressStatus::CompletedWithFailure)
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            fault_id(&reply, Some(&id)),
            IpamExceptionId::IpamApiDhcpScopeNotFoundInDB
        );
        c.close().await;
        assert_eq!(ipam_testkit::counts(&server.ts.store).await, [2, 8, 0, 0]);
        server.shutdown().await;
    }
}

/// A NULL `paramters` fails InitializeOperationParameters (§3.19.4.3): the fault, then the
/// server ends the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_parameters_fault_and_close_the_session() {
    let server = TestServer::start(NetTcpOptions::default()).await;
    let mut c = Client::connect(server.addr, BINARY).await;
    let (id, reply) = c.initialize(None).await;
    assert_eq!(
        fault_id(&reply, Some(&id)),
        IpamExceptionId::IpamApiInvalidParameter
    );
    match c.event().await {
        Some(Ok(ClientEvent::End)) => {}
        other => panic!("expected End after a closing fault, got {other:?}"),
    }
    assert!(c.event().await.is_none());
    server.shutdown().await;
}

/// A request the SOAP layer cannot read gets the SOAP fault, and the session goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soap_decode_faults_keep_the_session() {
    let server = TestServer::start(NetTcpOptions::default()).await;
    for encoding in [BINARY, TEXT] {
        let mut c = Client::connect(server.addr, encoding).await;
        // Unknown action.
        let xml =
            ipam_soap::encode_start_request("urn:uuid:11111111-2222-4333-8444-555555555555", None)
                .replace("/StartOperationWithCallback<", "/NoSuchOperation<");
        c.send(&xml).await;
        match c.message().await {
            ServerMessage::Fault(f) => {
                assert_eq!(
                    f.request_message_id.as_deref(),
                    Some("urn:uuid:11111111-2222-4333-8444-555555555555")
                );
                assert_eq!(
                    f.subcode.as_ref().map(|q| q.local.as_str()),
                    Some("ActionNotSupported")
                );
            }
            other => panic!("{other:?}"),
        }
        // A bad value in the parameters.
        let p = create(ipam_testkit::failover("x", 1, 2), vec![1]);
        let xml = ipam_soap::encode_initialize_request(
            Some(&p),
            "urn:uuid:11111111-2222-4333-8444-000000000002",
            None,
        )
        .replace("<MCLT>PT1H</MCLT>", "<MCLT>one hour</MCLT>");
        assert!(xml.contains("one hour"));
        c.send(&xml).await;
        let reply = c.message().await;
        assert_eq!(
            fault_id(
                &reply,
                Some("urn:uuid:11111111-2222-4333-8444-000000000002")
            ),
            IpamExceptionId::IpamApiInvalidParameter
        );
        // Keepalive: no answer. Then a good operation.
        c.send(&ipam_soap::encode_keepalive()).await;
        let callbacks = c
            .run(&create(
                ipam_testkit::failover(
                    &format!("after-faults-{}", encoding as u8),
                    server.servers[0],
                    server.servers[1],
                ),
                vec![server.scopes[0][encoding as usize % 4]],
            ))
            .await;
        assert_ends_with_overall_status(&callbacks);
        c.close().await;
    }
    server.shutdown().await;
}

/// Preamble, Preamble End and the first envelope in one write (what WCF does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_preamble_and_first_envelope() {
    let server = TestServer::start(NetTcpOptions::default()).await;
    for encoding in [BINARY, TEXT] {
        let mut c = Client::open(server.addr, encoding).await;
        let via = c.via.clone();
        let mut bytes = c.nmf.start(&via, encoding).unwrap();
        let p = create(
            ipam_testkit::failover(
                &format!("pipelined-{}", encoding as u8),
                server.servers[0],
                server.servers[1],
            ),
            vec![server.scopes[1][encoding as usize % 4]],
        );
        let id = c.message_id();
        let xml = ipam_soap::encode_initialize_request(Some(&p), &id, Some(&via));
        bytes.extend(c.frame(&xml));
        c.stream.write_all(&bytes).await.unwrap();
        assert!(matches!(
            c.event().await,
            Some(Ok(ClientEvent::PreambleAck))
        ));
        let reply = c.message().await;
        assert_response(&reply, "InitializeOperationParametersResponse", &id);
        let (id, callbacks, reply) = c.start().await;
        assert_response(&reply, "StartOperationWithCallbackResponse", &id);
        assert_ends_with_overall_status(&callbacks);
        c.close().await;
    }
    assert_eq!(server.failovers().await.len(), 2);
    server.shutdown().await;
}

/// Each callback is its own envelope, read one by one before the response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_are_separate_envelopes_before_the_response() {
    let server = TestServer::start(NetTcpOptions::default()).await;
    let mut c = Client::connect(server.addr, BINARY).await;
    let (id, reply) = c
        .initialize(Some(&create(
            ipam_testkit::failover("streamed", server.servers[0], server.servers[1]),
            server.scopes[0][..3].to_vec(),
        )))
        .await;
    assert_response(&reply, "InitializeOperationParametersResponse", &id);
    let id = c.message_id();
    let xml = ipam_soap::encode_start_request(&id, None);
    c.send(&xml).await;
    let mut seen = Vec::new();
    loop {
        match c.message().await {
            ServerMessage::Callback(e) => seen.push(e.name()),
            reply => {
                assert_response(&reply, "StartOperationWithCallbackResponse", &id);
                break;
            }
        }
    }
    assert_eq!(seen, CREATE_CALLBACKS);
    c.close().await;
    server.shutdown().await;
}

/// A pooled connection ([MC-NMF] §3.1.1.2: a protocol stream is one or more sessions):
/// after both End Records the next session starts on the same socket with a new
/// preamble, in either encoding, with fresh MC-NBFSE dictionaries and a fresh engine
/// session, as WCF's connection pool does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_connection_runs_sessions_back_to_back() {
    let server = TestServer::start(NetTcpOptions::default()).await;
    let (s1, s2) = (server.servers[0], server.servers[1]);
    let scopes = server.scopes[0].clone();
    let mut c = Client::connect(server.addr, BINARY).await;
    let callbacks = c
        .run(&create(
            ipam_testkit::failover("pooled", s1, s2),
            scopes[..3].to_vec(),
        ))
        .await;
    assert_eq!(names(&callbacks), CREATE_CALLBACKS);
    c.end().await;
    assert!(
        server.open_sessions_become(0).await,
        "the engine session ended with End"
    );
    let id = server.failovers().await[0].0.record_id;
    let mut f = ipam_testkit::failover("pooled", s1, s2);
    f.record_id = id;

    // Same socket, text this time: the new session knows nothing of the old one (its
    // parameters are gone: Start before Initialize is out of order, §3.19.1.1).
    c.reuse(TEXT).await;
    assert!(server.open_sessions_become(1).await);
    let (id2, callbacks, reply) = c.start().await;
    assert!(callbacks.is_empty());
    assert_eq!(
        fault_id(&reply, Some(&id2)),
        IpamExceptionId::IpamApiOperationNotAllowed
    );
    c.run(&add(f.clone(), vec![scopes[3]])).await;
    c.end().await;

    // And binary again: the server's outbound dictionary starts over, so a client
    // decoder that also starts over reads every message.
    c.reuse(BINARY).await;
    let callbacks = c.run(&delete(f)).await;
    assert_eq!(names(&callbacks), DELETE_CALLBACKS);
    c.close().await;
    assert!(server.failovers().await.is_empty());
    assert!(server.open_sessions_become(0).await);
    server.shutdown().await;
}

/// Many sessions at once, on both encodings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sessions() {
    let server = TestServer::start(NetTcpOptions::default()).await;
    let mut tasks = Vec::new();
    for i in 0..16u32 {
        let addr = server.addr;
        tasks.push(tokio::spawn(async move {
            let encoding = if i % 2 == 0 { BINARY } else { TEXT };
            let mut c = Client::connect(addr, encoding).await;
            // Bad requests only: they do not touch the store, so they can run in parallel.
            let (id, reply) = c
                .initialize(Some(&params(
                    IpamAdminOperationId::CreateDhcpFailover,
                    DerivedParameters::DhcpFailoverWithScopes(Default::default()),
                )))
                .await;
            assert_response(&reply, "InitializeOperationParametersResponse", &id);
            let (id, callbacks, reply) = c.start().await;
            assert_eq!(
                fault_id(&reply, Some(&id)),
                IpamExceptionId::IpamApiInvalidParameter
            );
            assert_ends_with_overall_status(&callbacks);
            c.close().await;
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    server.shutdown().await;
}

/// Shutdown: the listener stops accepting, an idle open session gets End, serve returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_ends_open_sessions() {
    let server = TestServer::start(NetTcpOptions::default()).await;
    let addr = server.addr;
    let mut c = Client::connect(addr, BINARY).await;
    assert!(server.open_sessions_become(1).await);
    let counter = server.open_sessions.clone();
    server.shutdown().await;
    assert!(matches!(c.event().await, Some(Ok(ClientEvent::End))));
    assert_eq!(counter.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}

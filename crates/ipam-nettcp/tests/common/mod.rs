//! A test server on 127.0.0.1:0 and a net.tcp client built from `nmf::ClientConnection`,
//! `nbfx` and the ipam-soap client encoders.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use ipam_engine::Engine;
use ipam_model::*;
use ipam_nettcp::NetTcpOptions;
use ipam_soap::ServerMessage;
use ipam_store::StoreError;
use ipam_testkit::TestStore;
use nmf::{ClientConnection, ClientEvent, FramingError, KnownEncoding};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a test waits for the server before failing.
pub const WAIT: Duration = Duration::from_secs(20);

pub const BINARY: KnownEncoding = KnownEncoding::Soap12BinarySession;
pub const TEXT: KnownEncoding = KnownEncoding::Soap12Utf8;

/// A running listener over a fresh store with two servers and four scopes each.
pub struct TestServer {
    pub addr: SocketAddr,
    pub ts: TestStore,
    pub open_sessions: Arc<AtomicI64>,
    /// Server record ids.
    pub servers: Vec<RecordId>,
    /// Scope record ids per server.
    pub scopes: Vec<Vec<RecordId>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IPAMD_TEST_LOG")
                .unwrap_or_else(|_| "off".into()),
        )
        .with_test_writer()
        .try_init();
}

impl TestServer {
    pub async fn start(options: NetTcpOptions) -> TestServer {
        Self::start_on(ipam_testkit::sqlite().await, options).await
    }

    pub async fn start_on(ts: TestStore, options: NetTcpOptions) -> TestServer {
        init_tracing();
        let (servers, scopes) = ts
            .store
            .write(|mut db| {
                Box::pin(async move {
                    let mut servers = Vec::new();
                    let mut scopes = Vec::new();
                    for n in 1..=2u8 {
                        let s = db.insert_server(&ipam_testkit::server(n)).await?.record_id;
                        let mut mine = Vec::new();
                        for k in 0..4u8 {
                            let net = n * 10 + k;
                            mine.push(
                                db.insert_scope(&ipam_testkit::scope(s, net))
                                    .await?
                                    .record_id,
                            );
                        }
                        servers.push(s);
                        scopes.push(mine);
                    }
                    Ok::<_, StoreError>((servers, scopes))
                })
            })
            .await
            .expect("seed the store");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open_sessions = Arc::new(AtomicI64::new(0));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(ipam_nettcp::serve(
            listener,
            Engine::new(ts.store.clone()),
            options,
            open_sessions.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        TestServer {
            addr,
            ts,
            open_sessions,
            servers,
            scopes,
            stop: Some(stop),
            task,
        }
    }

    /// Stops the listener and waits until every session has finished.
    pub async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("serve returns after shutdown")
            .unwrap()
            .unwrap();
    }

    /// Waits (up to [`WAIT`]) until `open_sessions` is `n`; false if it never is.
    pub async fn open_sessions_become(&self, n: i64) -> bool {
        eventually(|| self.open_sessions.load(Ordering::SeqCst) == n).await
    }

    /// The failover relationships and their linked scopes in the store.
    pub async fn failovers(&self) -> Vec<(DhcpFailover, Vec<RecordId>)> {
        let mut conn = self.ts.store.conn().await.unwrap();
        let mut db = conn.db();
        let mut out = Vec::new();
        for s in &self.servers {
            for f in db.failovers_by_server(*s).await.unwrap() {
                if out
                    .iter()
                    .any(|(o, _): &(DhcpFailover, _)| o.record_id == f.record_id)
                {
                    continue;
                }
                let mut ids = db.scope_ids_of_failover(f.record_id).await.unwrap();
                ids.sort();
                out.push((f, ids));
            }
        }
        out
    }
}

/// A net.tcp client speaking MC-NMF Duplex with SecurityMode.None, like WCF's
/// NetTcpBinding (0x08) or a text CustomBinding (0x03).
pub struct Client {
    pub stream: TcpStream,
    pub nmf: ClientConnection,
    pub encoding: KnownEncoding,
    pub via: String,
    enc: nbfx::SessionEncoder,
    dec: nbfx::SessionDecoder,
    next_id: u32,
    /// Prefix each text envelope with a BOM, as Mono does.
    pub bom: bool,
}

impl Client {
    /// Connects and completes the preamble (waits for the Preamble Ack).
    pub async fn connect(addr: SocketAddr, encoding: KnownEncoding) -> Client {
        let mut c = Client::open(addr, encoding).await;
        let preamble = c.nmf.start(&c.via.clone(), encoding).unwrap();
        c.stream.write_all(&preamble).await.unwrap();
        match c.event().await {
            Some(Ok(ClientEvent::PreambleAck)) => {}
            other => panic!("expected the Preamble Ack, got {other:?}"),
        }
        c
    }

    /// Connects without sending anything.
    pub async fn open(addr: SocketAddr, encoding: KnownEncoding) -> Client {
        let stream = TcpStream::connect(addr).await.unwrap();
        Client {
            stream,
            nmf: ClientConnection::new(nmf::Limits::with_max_envelope_size(4 << 20)),
            encoding,
            via: format!("net.tcp://{addr}/IpamOperationWithProgress"),
            enc: nbfx::SessionEncoder::new(),
            dec: nbfx::SessionDecoder::new(),
            next_id: 0,
            bom: true,
        }
    }

    pub fn message_id(&mut self) -> String {
        self.next_id += 1;
        format!("urn:uuid:6f1c2d3e-0000-4000-8000-{:012x}", self.next_id)
    }

    /// The Sized Envelope record for a SOAP envelope.
    pub fn frame(&mut self, xml: &str) -> Vec<u8> {
        let payload = if self.encoding == BINARY {
            self.enc
                .encode_envelope(&nbfx::from_xml(xml).unwrap())
                .unwrap()
        } else if self.bom {
            [b"\xEF\xBB\xBF".as_slice(), xml.as_bytes()].concat()
        } else {
            xml.as_bytes().to_vec()
        };
        self.nmf.send_envelope(&payload).unwrap()
    }

    pub async fn send(&mut self, xml: &str) {
        let bytes = self.frame(xml);
        self.stream.write_all(&bytes).await.unwrap();
    }

    /// The next framing event, `None` at end of stream (or a reset).
    pub async fn event(&mut self) -> Option<Result<ClientEvent, FramingError>> {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if let Some(e) = self.nmf.poll_event() {
                return Some(e);
            }
            let n = tokio::time::timeout(WAIT, self.stream.read(&mut buf))
                .await
                .expect("the server answers in time")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.nmf.receive(&buf[..n]);
        }
    }

    /// The next SOAP message from the server.
    pub async fn message(&mut self) -> ServerMessage {
        match self.event().await {
            Some(Ok(ClientEvent::Envelope(payload))) => self.decode(&payload),
            other => panic!("expected an envelope, got {other:?}"),
        }
    }

    pub fn decode(&mut self, payload: &[u8]) -> ServerMessage {
        let xml = if self.encoding == BINARY {
            nbfx::to_xml(&self.dec.decode_envelope(payload).unwrap()).unwrap()
        } else {
            String::from_utf8(payload.to_vec()).unwrap()
        };
        ipam_soap::decode_server_message(xml.as_bytes(), &ipam_soap::Limits::default())
            .unwrap_or_else(|f| panic!("undecodable server message {f}: {xml}"))
    }

    /// Reads callbacks until the response or fault.
    pub async fn reply(&mut self) -> (Vec<ProgressEvent>, ServerMessage) {
        let mut callbacks = Vec::new();
        loop {
            match self.message().await {
                ServerMessage::Callback(e) => callbacks.push(e),
                other => return (callbacks, other),
            }
        }
    }

    /// `InitializeOperationParameters`; returns the message id and the reply.
    pub async fn initialize(
        &mut self,
        params: Option<&IpamOperationWithProgressParameters>,
    ) -> (String, ServerMessage) {
        let id = self.message_id();
        let xml = ipam_soap::encode_initialize_request(params, &id, Some(&self.via.clone()));
        self.send(&xml).await;
        let (callbacks, reply) = self.reply().await;
        assert!(callbacks.is_empty(), "no callbacks before {reply:?}");
        (id, reply)
    }

    /// `StartOperationWithCallback`; returns the message id, the callbacks and the reply.
    pub async fn start(&mut self) -> (String, Vec<ProgressEvent>, ServerMessage) {
        let id = self.message_id();
        let xml = ipam_soap::encode_start_request(&id, Some(&self.via.clone()));
        self.send(&xml).await;
        let (callbacks, reply) = self.reply().await;
        (id, callbacks, reply)
    }

    /// Runs one operation on this session: both calls must succeed; returns the callbacks.
    pub async fn run(
        &mut self,
        params: &IpamOperationWithProgressParameters,
    ) -> Vec<ProgressEvent> {
        let (id, reply) = self.initialize(Some(params)).await;
        assert_response(&reply, "InitializeOperationParametersResponse", &id);
        let (id, callbacks, reply) = self.start().await;
        assert_response(&reply, "StartOperationWithCallbackResponse", &id);
        callbacks
    }

    /// Sends End, expects End, then closes the connection (a client that does not pool).
    pub async fn close(mut self) {
        self.end().await;
    }

    /// Sends End and expects End; the connection stays open for another session.
    pub async fn end(&mut self) {
        let end = self.nmf.end().unwrap();
        self.stream.write_all(&end).await.unwrap();
        match self.event().await {
            Some(Ok(ClientEvent::End)) => {}
            other => panic!("expected End, got {other:?}"),
        }
    }

    /// Starts a new session on this (pooled) connection after [`Client::end`], as WCF
    /// does: a new preamble, fresh session dictionaries in both directions.
    pub async fn reuse(&mut self, encoding: KnownEncoding) {
        self.nmf = ClientConnection::new(nmf::Limits::with_max_envelope_size(4 << 20));
        self.enc = nbfx::SessionEncoder::new();
        self.dec = nbfx::SessionDecoder::new();
        self.encoding = encoding;
        let preamble = self.nmf.start(&self.via.clone(), encoding).unwrap();
        self.stream.write_all(&preamble).await.unwrap();
        match self.event().await {
            Some(Ok(ClientEvent::PreambleAck)) => {}
            other => panic!("expected the Preamble Ack on the reused connection, got {other:?}"),
        }
    }
}

pub fn assert_response(reply: &ServerMessage, action: &str, id: &str) {
    match reply {
        ServerMessage::Response {
            action: a,
            relates_to,
        } => {
            assert!(a.ends_with(&format!("/{action}")), "{a}");
            assert_eq!(
                relates_to.as_deref(),
                Some(id),
                "RelatesTo echoes MessageID"
            );
        }
        other => panic!("expected {action}, got {other:?}"),
    }
}

/// The fault's IpamException id; checks `RelatesTo`.
pub fn fault_id(reply: &ServerMessage, id: Option<&str>) -> IpamExceptionId {
    match reply {
        ServerMessage::Fault(f) => {
            assert_eq!(f.request_message_id.as_deref(), id, "RelatesTo of {f:?}");
            f.detail
                .as_ref()
                .expect("IpamException detail")
                .exception_id
        }
        other => panic!("expected a fault, got {other:?}"),
    }
}

/// Checks that the last callback is `SetOverallStatus`.
pub fn assert_ends_with_overall_status(callbacks: &[ProgressEvent]) {
    assert_eq!(
        callbacks.last().map(ProgressEvent::name),
        Some("SetOverallStatus")
    );
}

pub fn names(events: &[ProgressEvent]) -> Vec<&'static str> {
    events.iter().map(ProgressEvent::name).collect()
}

pub fn params(
    op: IpamAdminOperationId,
    derived: DerivedParameters,
) -> IpamOperationWithProgressParameters {
    IpamOperationWithProgressParameters {
        operation_id: Some(op),
        derived,
    }
}

pub fn create(f: DhcpFailover, ids: Vec<RecordId>) -> IpamOperationWithProgressParameters {
    params(
        IpamAdminOperationId::CreateDhcpFailover,
        DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters {
            failover: Some(f),
            scope_ids: Some(ids),
        }),
    )
}

pub fn add(f: DhcpFailover, ids: Vec<RecordId>) -> IpamOperationWithProgressParameters {
    params(
        IpamAdminOperationId::AddDhcpFailoverScopes,
        DerivedParameters::DhcpFailoverWithScopes(DhcpFailoverWithScopesParameters {
            failover: Some(f),
            scope_ids: Some(ids),
        }),
    )
}

pub fn remove(ids: Vec<RecordId>) -> IpamOperationWithProgressParameters {
    params(
        IpamAdminOperationId::RemoveDhcpFailoverScopes,
        DerivedParameters::DhcpFailoverRemoveScopes(DhcpFailoverRemoveScopesParameters {
            force: false,
            scope_ids: Some(ids),
        }),
    )
}

pub fn delete(f: DhcpFailover) -> IpamOperationWithProgressParameters {
    params(
        IpamAdminOperationId::DeleteDhcpFailover,
        DerivedParameters::DhcpFailoverDelete(DhcpFailoverDeleteParameters {
            failover: Some(f),
            force: false,
        }),
    )
}

/// Polls `f` until it is true or [`WAIT`] passes.
pub async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f()
}

//! A real router on a real socket, and an HTTP client for it.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use futures::StreamExt;
use ipam_engine::Engine;
use ipam_testkit::TestStore;
use serde_json::{Value, json};

pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub ts: TestStore,
    /// The router's operation registry (for `drain`).
    pub registry: ipam_http::Registry,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct Sse {
    pub event: String,
    pub id: Option<String>,
    pub data: Value,
}

impl Api {
    pub async fn start(ts: TestStore) -> Api {
        // Wired as ipamd wires it: the engine reports to the metrics.
        let metrics = ipam_http::Metrics::new();
        let state = ipam_http::AppState {
            engine: Engine::new(ts.store.clone()).with_observer(metrics.clone()),
            open_sessions: Arc::new(AtomicI64::new(0)),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (app, registry) =
            ipam_http::router_parts(state, metrics, ipam_http::ApiOptions::default());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Api {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            ts,
            registry,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `method path` with an optional JSON body; returns status and JSON (Null if none).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method.parse().unwrap(), self.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        Self::answer(resp).await
    }

    /// Sends a raw body with a JSON content type.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        let resp = self
            .http
            .request(method.parse().unwrap(), self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        Self::answer(resp).await
    }

    /// Announces a body of `len` bytes with `Expect: 100-continue` and reads the answer
    /// without sending the body (a well-behaved client facing a size limit).
    pub async fn announce(&self, path: &str, len: usize) -> (u16, Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.base.trim_start_matches("http://");
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {len}\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n"
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tcp.read_to_end(&mut buf),
        )
        .await;
        let text = String::from_utf8_lossy(&buf);
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    /// Sends a raw body; `None` when the server closed the connection while the body was
    /// still being written (it may answer early, e.g. 413, and stop reading).
    pub async fn try_raw(
        &self,
        method: &str,
        path: &str,
        body: impl Into<reqwest::Body>,
    ) -> Option<(u16, Value)> {
        let resp = self
            .http
            .request(method.parse().unwrap(), self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .ok()?;
        Some(Self::answer(resp).await)
    }

    async fn answer(resp: reqwest::Response) -> (u16, Value) {
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None).await
    }

    /// Registers `dhcpN.test` at 10.0.0.N; returns its record id.
    pub async fn server(&self, n: u8) -> i64 {
        let (s, v) = self
            .call(
                "POST",
                "/api/v1/dhcp-servers",
                Some(json!({"name": format!("dhcp{n}.test"), "address": format!("10.0.0.{n}")})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v["record_id"].as_i64().unwrap()
    }

    /// Registers scope 10.<net>.0.0/24 on `server`; returns its record id.
    pub async fn scope(&self, server: i64, net: u8) -> i64 {
        let (s, v) = self
            .call(
                "POST",
                "/api/v1/dhcp-scopes",
                Some(json!({
                    "server_record_id": server,
                    "scope_id": format!("10.{net}.0.0"),
                    "subnet_mask": "255.255.255.0",
                    "start_address": format!("10.{net}.0.10"),
                    "end_address": format!("10.{net}.0.200"),
                    "name": format!("net{net}"),
                })),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v["record_id"].as_i64().unwrap()
    }

    /// Every event of an operation's stream, to its end.
    pub async fn events(&self, op: &str) -> Vec<Sse> {
        let resp = self
            .http
            .get(self.url(&format!("/api/v1/operations/{op}/events")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let mut out = Vec::new();
        let mut buf = String::new();
        let mut stream = resp.bytes_stream();
        let read = async {
            while let Some(chunk) = stream.next().await {
                buf.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
                while let Some(end) = buf.find("\n\n") {
                    let block: String = buf.drain(..end + 2).collect();
                    let (mut event, mut id, mut data) = (String::new(), None, String::new());
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("event:") {
                            event = v.trim().to_owned();
                        } else if let Some(v) = line.strip_prefix("id:") {
                            id = Some(v.trim().to_owned());
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data.push_str(v.trim_start());
                        }
                    }
                    if !event.is_empty() {
                        out.push(Sse {
                            event,
                            id,
                            data: serde_json::from_str(&data).unwrap(),
                        });
                    }
                }
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), read)
            .await
            .expect("the event stream ends");
        out
    }

    /// Sends an operation request, expects 202, follows its events to the end and returns
    /// the final operation resource.
    pub async fn run(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (s, op) = self.call(method, path, body).await;
        assert_eq!(s, 202, "{method} {path}: {op}");
        let id = op["id"].as_str().unwrap().to_owned();
        let events = self.events(&id).await;
        let last = events.last().expect("at least one event");
        assert_eq!(last.event, "SetOverallStatus");
        assert_eq!(events[0].event, "StartProgressCallback");
        let (s, done) = self.get(&format!("/api/v1/operations/{id}")).await;
        assert_eq!(s, 200);
        assert_eq!(done["events"].as_u64().unwrap() as usize, events.len());
        assert_eq!(
            last.data["overall_status"], done["status"],
            "the stream ends with the operation's status"
        );
        done
    }

    pub async fn counts(&self) -> [i64; 4] {
        ipam_testkit::counts(&self.ts.store).await
    }
}

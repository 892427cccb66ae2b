//! The HTTP side: JSON calls, API errors, and the Server-Sent-Events stream of an operation.

use std::time::Duration;

use anyhow::{Context, anyhow};
use futures::StreamExt;
use serde_json::Value;

/// An error answer of the API (status and its JSON body).
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub body: Value,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = self.body["exception_id"].as_str().unwrap_or("error");
        let msg = self.body["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| self.body.to_string());
        write!(f, "{} {id}: {msg}", self.status)?;
        if let Some(field) = self.body["field"].as_str() {
            write!(f, " (field '{field}')")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// One progress event.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub id: Option<String>,
    pub data: Value,
}

/// A client of one ipamd.
pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let base = base.trim_end_matches('/').to_owned();
        if !base.starts_with("http://") && !base.starts_with("https://") {
            anyhow::bail!("--server must be an http:// URL, not '{base}'");
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Client { base, http })
    }

    /// `method path` with an optional JSON body; the JSON answer (Null for 204), or the
    /// API's error.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut req = self
            .http
            .request(method.parse().expect("a valid method"), &url)
            .timeout(Duration::from_secs(60));
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach ipamd at {}", self.base))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.context("reading the answer")?;
        let value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status >= 400 {
            return Err(ApiError {
                status,
                body: value,
            }
            .into());
        }
        Ok(value)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call("GET", path, None).await
    }

    /// Follows `/api/v1/operations/{id}/events` to its end, calling `each` per event;
    /// reconnects (resuming after the last event seen) if the stream breaks.
    pub async fn watch(&self, op: &str, mut each: impl FnMut(&Event)) -> anyhow::Result<()> {
        let url = format!("{}/api/v1/operations/{op}/events", self.base);
        let mut last: Option<String> = None;
        let mut tries = 0;
        loop {
            let mut req = self.http.get(&url).header("accept", "text/event-stream");
            if let Some(l) = &last {
                req = req.header("last-event-id", l);
            }
            let resp = req
                .send()
                .await
                .with_context(|| format!("cannot reach ipamd at {}", self.base))?;
            if !resp.status().is_success() {
                let status = resp.status().as_u16();
                let body = resp.json().await.unwrap_or(Value::Null);
                return Err(ApiError { status, body }.into());
            }
            let mut stream = resp.bytes_stream();
            let mut buf = String::new();
            let mut ended = false;
            while let Some(chunk) = stream.next().await {
                let Ok(chunk) = chunk else { break };
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let block: String = buf.drain(..end + 2).collect();
                    if let Some(ev) = parse(&block) {
                        last = ev.id.clone().or(last);
                        ended |= ev.name == "SetOverallStatus";
                        each(&ev);
                    }
                }
            }
            if ended {
                return Ok(());
            }
            tries += 1;
            if tries > 3 {
                return Err(anyhow!("the progress stream of operation {op} broke off"));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

fn parse(block: &str) -> Option<Event> {
    let (mut name, mut id, mut data) = (String::new(), None, String::new());
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            name = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("id:") {
            id = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    }
    if name.is_empty() {
        return None; // a keep-alive comment
    }
    Some(Event {
        name,
        id,
        data: serde_json::from_str(&data).unwrap_or(Value::Null),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_an_event_block() {
        let ev = super::parse(
            "event: SetCompletionPercentage\nid: 3\ndata: {\"completion_percentage\":40}\n\n",
        )
        .unwrap();
        assert_eq!(ev.name, "SetCompletionPercentage");
        assert_eq!(ev.id.as_deref(), Some("3"));
        assert_eq!(ev.data["completion_percentage"], 40);
        assert!(super::parse(":\n\n").is_none());
    }
}

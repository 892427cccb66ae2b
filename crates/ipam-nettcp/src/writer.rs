//! The writer task of a connection: it owns the socket's write half, the outbound
//! encoder session ([MC-NBFSE] §2.2, one dictionary per direction) and the MC-NMF send
//! side (Sized Envelope records, [MC-NMF] §2.2.3.7), so that callbacks produced while an
//! operation runs reach the client as they happen and in order.

use std::io;
use std::time::Duration;

use ipam_engine::ProgressSink;
use ipam_model::ProgressEvent;
use nmf::KnownEncoding;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::codec::Outbound;

/// Largest batch of queued records written with one system call.
const BATCH: usize = 64 * 1024;

/// What the connection task asks the writer to send.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// A session of this encoding starts: fresh outbound dictionary.
    Begin(KnownEncoding),
    /// Framing bytes as they are (Preamble Ack, End, Fault records).
    Raw(Vec<u8>),
    /// A SOAP envelope (XML text) to encode and frame as a Sized Envelope.
    Message(String),
}

/// Sends every progress event as a one-way callback message (§3.19.4.5–.9).
pub(crate) struct CallbackSink(pub(crate) UnboundedSender<Outgoing>);

impl ProgressSink for CallbackSink {
    fn report(&self, event: ProgressEvent) {
        tracing::debug!(callback = event.name(), "callback");
        // A closed writer means the client is gone; the operation still completes.
        let _ = self
            .0
            .send(Outgoing::Message(ipam_soap::encode_callback(&event)));
    }
}

/// Runs until the channel closes (then shuts the write half down) or a write fails.
pub(crate) async fn run(
    mut wr: OwnedWriteHalf,
    mut rx: UnboundedReceiver<Outgoing>,
    write_timeout: Duration,
) -> io::Result<()> {
    let mut encoder: Option<Outbound> = None;
    let mut batch = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(item) = next.take() {
            encode(item, &mut encoder, &mut batch)?;
            if batch.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        if batch.is_empty() {
            continue;
        }
        tokio::time::timeout(write_timeout, wr.write_all(&batch))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "write timed out"))??;
        batch.clear();
    }
    let _ = tokio::time::timeout(write_timeout, wr.shutdown()).await;
    Ok(())
}

fn encode(item: Outgoing, encoder: &mut Option<Outbound>, out: &mut Vec<u8>) -> io::Result<()> {
    match item {
        Outgoing::Begin(encoding) => *encoder = Some(Outbound::new(encoding)),
        Outgoing::Raw(bytes) => out.extend_from_slice(&bytes),
        Outgoing::Message(xml) => {
            let Some(enc) = encoder.as_mut() else {
                return Err(io::Error::other(
                    "envelope before the preamble was accepted",
                ));
            };
            let xml = scope_fault_qnames(&xml);
            let payload = enc.encode(&xml).map_err(|e| {
                tracing::error!(error = %e, "cannot encode an outbound envelope");
                io::Error::other(e)
            })?;
            let framed = nmf::encode_sized_envelope(&payload).map_err(io::Error::other)?;
            out.extend_from_slice(&framed);
        }
    }
    Ok(())
}

/// Adapter over ipam-soap's fault envelopes: the QName values of `s:Code/s:Value` and
/// `s:Subcode/s:Value` (SOAP 1.2 §5.4.6) are written as `s:Sender`, `a:…` with the prefixes
/// declared on `s:Envelope` only. Readers that copy the body out of its envelope (Mono's
/// WCF client reading a binary-encoded fault) lose those declarations and cannot resolve
/// the code; declaring the prefix again on the `s:Value` element itself is equivalent XML
/// and keeps the QName resolvable wherever the element is read. For the same reason the
/// `IpamException` detail (§2.2.2.1) declares the prefixes its `i:type` values and members
/// use (`i`, `x`, `z`, `b`), as WCF's own serializer does on a detail element.
pub(crate) fn scope_fault_qnames(xml: &str) -> std::borrow::Cow<'_, str> {
    const DETAIL: &str =
        r#"<IpamException xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam">"#;
    const DETAIL_SCOPED: &str = concat!(
        r#"<IpamException xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam""#,
        r#" xmlns:i="http://www.w3.org/2001/XMLSchema-instance""#,
        r#" xmlns:x="http://www.w3.org/2001/XMLSchema""#,
        r#" xmlns:z="http://schemas.microsoft.com/2003/10/Serialization/""#,
        r#" xmlns:b="http://Microsoft.Windows.Ipam">"#
    );
    const PREFIXES: &[(&str, &str)] = &[
        ("s", "http://www.w3.org/2003/05/soap-envelope"),
        ("a", "http://www.w3.org/2005/08/addressing"),
    ];
    if !xml.contains("<s:Fault>") {
        return std::borrow::Cow::Borrowed(xml);
    }
    let mut out = xml.replacen(DETAIL, DETAIL_SCOPED, 1);
    for (prefix, uri) in PREFIXES {
        out = out.replace(
            &format!("<s:Value>{prefix}:"),
            &format!("<s:Value xmlns:{prefix}=\"{uri}\">{prefix}:"),
        );
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_code_prefixes_are_declared_on_the_value() {
        let fault = ipam_soap::Fault::action_not_supported("urn:x");
        let xml = ipam_soap::encode_fault(&fault, Some("urn:uuid:1"));
        let scoped = scope_fault_qnames(&xml);
        assert!(scoped.contains(
            r#"<s:Value xmlns:s="http://www.w3.org/2003/05/soap-envelope">s:Sender</s:Value>"#
        ));
        assert!(scoped.contains(
            r#"<s:Value xmlns:a="http://www.w3.org/2005/08/addressing">a:ActionNotSupported</s:Value>"#
        ));
        // Still the same fault for a namespace-aware reader.
        match ipam_soap::decode_server_message(scoped.as_bytes(), &Default::default()).unwrap() {
            ipam_soap::ServerMessage::Fault(f) => {
                assert_eq!(f, fault.relating_to(Some("urn:uuid:1")))
            }
            other => panic!("{other:?}"),
        }
        let ipam = ipam_soap::Fault::from(ipam_model::IpamException::invalid_parameter("x"));
        let xml = ipam_soap::encode_fault(&ipam, None);
        let scoped = scope_fault_qnames(&xml);
        assert!(scoped.contains(r#" xmlns:x="http://www.w3.org/2001/XMLSchema""#));
        match ipam_soap::decode_server_message(scoped.as_bytes(), &Default::default()).unwrap() {
            ipam_soap::ServerMessage::Fault(f) => assert_eq!(f, ipam),
            other => panic!("{other:?}"),
        }
        let reply = ipam_soap::encode_start_response(Some("urn:uuid:1"));
        assert_eq!(scope_fault_qnames(&reply), reply);
    }
}

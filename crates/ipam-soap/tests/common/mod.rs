//! Helpers shared by the integration tests.
#![allow(dead_code)]

use ipam_soap::{Fault, Limits, Request, decode_request};

/// The captured exchange, split into (direction, action, wire-prefix envelope).
pub fn exchange() -> Vec<(String, String, String)> {
    let text = include_str!("../data/wcf-create-exchange.txt");
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    let mut current: Option<(String, String)> = None;
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("--- ") {
            let (dir, action) = rest.split_once("a:Action = ").unwrap();
            current = Some((dir.trim().to_owned(), action.trim().to_owned()));
        } else if line == "with wire prefixes:" {
            let mut env = String::new();
            for l in lines.by_ref() {
                env.push_str(l);
                env.push('\n');
                if l == "</s:Envelope>" {
                    break;
                }
            }
            let (d, a) = current.clone().unwrap();
            out.push((d, a, env));
        }
    }
    out
}

/// Wraps a body in a SOAP 1.2 envelope with the given action.
pub fn envelope(action: &str, body: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">{action}</a:Action><a:MessageID>urn:uuid:00000000-0000-0000-0000-000000000001</a:MessageID><a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo></s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

pub const INIT: &str =
    "http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/InitializeOperationParameters";

/// Decodes an InitializeOperationParameters body with default limits.
pub fn decode_init(body: &str) -> Result<Request, Fault> {
    decode_request(envelope(INIT, body).as_bytes(), &Limits::default())
}

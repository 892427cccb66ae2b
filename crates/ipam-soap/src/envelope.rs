//! SOAP 1.2 envelopes with WS-Addressing 1.0 headers: decoding requests (server side) and
//! server messages (client side), encoding responses, callbacks, faults and requests.

use ipam_model::*;

use crate::decode;
use crate::encode;
use crate::fault::{Fault, FaultCode, QName};
use crate::limits::{self, Limits};
use crate::ns::{self, IPAM, IPAM1, SOAP12, WSA};
use crate::reader::*;
use crate::tree::{Document, Node};
use crate::writer::{Out, TextSink, XmlSink};

/// A decoded request of `IIpamOperationWithProgress` (§3.19.4).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `a:Action`.
    pub action: String,
    /// `a:MessageID`, echoed as `a:RelatesTo` on the reply or fault.
    pub message_id: Option<String>,
    /// `a:ReplyTo/a:Address`.
    pub reply_to: Option<String>,
    /// `a:To`.
    pub to: Option<String>,
    /// What the request asks for.
    pub body: RequestBody,
}

/// The operation a request invokes.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // one per message, moved once
pub enum RequestBody {
    /// `InitializeOperationParameters` (§3.19.4.3) with its `paramters` member: absent and
    /// `i:nil` are both NULL to the engine (`Member::into_option`).
    InitializeOperationParameters(Member<IpamOperationWithProgressParameters>),
    /// `StartOperationWithCallback` (§3.19.4.4).
    StartOperationWithCallback,
    /// The Keepalive message (§2.2.2.2): counts as activity, otherwise ignored.
    Keepalive,
}

/// A message a client receives from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// A reply (`…Response` action) with its `a:RelatesTo`.
    Response {
        /// `a:Action`.
        action: String,
        /// `a:RelatesTo`.
        relates_to: Option<String>,
    },
    /// A one-way callback (§3.21.4.2–.6).
    Callback(ProgressEvent),
    /// A SOAP fault; `request_message_id` holds its `a:RelatesTo`.
    Fault(Fault),
}

/// Headers read from `s:Header`.
#[derive(Default)]
struct Headers {
    action: Option<String>,
    message_id: Option<String>,
    relates_to: Option<String>,
    reply_to: Option<String>,
    to: Option<String>,
    not_understood: Option<QName>,
}

/// The envelope element of a parsed message, checked to be SOAP 1.2.
fn open<'a>(doc: &'a Document<'a>) -> Result<Node<'a>, Fault> {
    let root = doc.root();
    if !has_name(root, SOAP12, "Envelope") {
        return Err(Fault::version_mismatch(
            root.tag_name().namespace().unwrap_or(""),
        ));
    }
    Ok(root)
}

fn headers(envelope: Node<'_>) -> Headers {
    let mut h = Headers::default();
    let Some(header) = child(envelope, SOAP12, "Header") else {
        return h;
    };
    for e in header.children() {
        let tag = e.tag_name();
        let text = || text_of(e).trim_matches(is_xml_space).to_owned();
        if tag.namespace() == Some(WSA) {
            match tag.name() {
                "Action" => {
                    h.action.get_or_insert_with(text);
                }
                "MessageID" => {
                    h.message_id.get_or_insert_with(text);
                }
                "RelatesTo" => {
                    h.relates_to.get_or_insert_with(text);
                }
                "To" => {
                    h.to.get_or_insert_with(text);
                }
                "ReplyTo" => {
                    if let Some(a) = child(e, WSA, "Address") {
                        h.reply_to.get_or_insert_with(|| {
                            text_of(a).trim_matches(is_xml_space).to_owned()
                        });
                    }
                }
                _ => {}
            }
            continue;
        }
        let must = e
            .attribute((SOAP12, "mustUnderstand"))
            .and_then(parse_bool)
            .unwrap_or(false);
        let role = e
            .attribute((SOAP12, "role"))
            .unwrap_or("")
            .trim_matches(is_xml_space);
        // Headers aimed at another role (`role/none` included) are never processed.
        let targeted = matches!(
            role,
            "" | "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"
                | "http://www.w3.org/2003/05/soap-envelope/role/next"
        );
        if must && targeted && h.not_understood.is_none() {
            h.not_understood = Some(QName::new(tag.namespace().unwrap_or(""), tag.name()));
        }
    }
    h
}

/// The body's first element child.
fn body_element<'a>(envelope: Node<'a>) -> Result<Option<Node<'a>>, Fault> {
    let body = child(envelope, SOAP12, "Body").ok_or_else(|| {
        Fault::from(IpamException::invalid_parameter(
            "the envelope has no s:Body",
        ))
    })?;
    Ok(body.children().next())
}

/// Decodes a request to `IIpamOperationWithProgress` (§3.19.4.3, §3.19.4.4, §2.2.2.2).
///
/// Every failure is the fault to send back; it carries the request's `a:MessageID` in
/// `request_message_id` when that could be read.
pub fn decode_request(xml: &[u8], limits: &Limits) -> Result<Request, Fault> {
    let text = limits::parse(xml, limits)?;
    decode_request_document(&Document::from_roxmltree(&text), limits)
}

/// [`decode_request`] of a message already parsed, such as one a [`crate::TreeBuilder`]
/// built from a binary envelope's events (the reader quotas were checked as it was built).
pub fn decode_request_document(doc: &Document<'_>, limits: &Limits) -> Result<Request, Fault> {
    let envelope = open(doc)?;
    let h = headers(envelope);
    let id = h.message_id.clone();
    let with_id = |f: Fault| f.relating_to(id.as_deref());
    if let Some(q) = h.not_understood {
        return Err(with_id(Fault::must_understand(q)));
    }
    let action = h.action.ok_or_else(|| with_id(Fault::action_required()))?;
    let body = match action.as_str() {
        ns::ACTION_KEEPALIVE => RequestBody::Keepalive,
        ns::ACTION_INITIALIZE => {
            let op = expect_body(envelope, "InitializeOperationParameters").map_err(with_id)?;
            let mut ctx = Ctx::new(op, limits).map_err(|e| with_id(e.into()))?;
            let paramters = match ctx
                .member(op, IPAM, "paramters", "paramters")
                .map_err(|e| with_id(e.into()))?
            {
                Member::Absent => Member::Absent,
                Member::Nil => Member::Nil,
                Member::Present(n) => Member::Present(
                    decode::paramters(&mut ctx, n, "paramters").map_err(|e| with_id(e.into()))?,
                ),
            };
            RequestBody::InitializeOperationParameters(paramters)
        }
        ns::ACTION_START => {
            expect_body(envelope, "StartOperationWithCallback").map_err(with_id)?;
            RequestBody::StartOperationWithCallback
        }
        other => return Err(with_id(Fault::action_not_supported(other))),
    };
    Ok(Request {
        action,
        message_id: h.message_id,
        reply_to: h.reply_to,
        to: h.to,
        body,
    })
}

fn expect_body<'a>(envelope: Node<'a>, local: &str) -> Result<Node<'a>, Fault> {
    match body_element(envelope)? {
        Some(n) if has_name(n, IPAM, local) => Ok(n),
        Some(n) => Err(IpamException::invalid_parameter(format!(
            "the body holds {}, expected {{{IPAM}}}{local}",
            QName::new(n.tag_name().namespace().unwrap_or(""), n.tag_name().name())
        ))
        .into()),
        None => Err(IpamException::invalid_parameter(format!(
            "the body is empty, expected {{{IPAM}}}{local}"
        ))
        .into()),
    }
}

/// Decodes a message from the server (client side): a response, a callback or a fault.
/// A message that cannot be read at all is an `Err`.
pub fn decode_server_message(xml: &[u8], limits: &Limits) -> Result<ServerMessage, Fault> {
    let text = limits::parse(xml, limits)?;
    let doc = Document::from_roxmltree(&text);
    let envelope = open(&doc)?;
    let h = headers(envelope);
    let body = body_element(envelope)?;
    if let Some(f) = body.filter(|b| has_name(*b, SOAP12, "Fault")) {
        return Ok(ServerMessage::Fault(decode_fault(envelope, f, h, limits)?));
    }
    let action = h.action.ok_or_else(Fault::action_required)?;
    if action == ns::ACTION_INITIALIZE_RESPONSE || action == ns::ACTION_START_RESPONSE {
        return Ok(ServerMessage::Response {
            action,
            relates_to: h.relates_to,
        });
    }
    let Some(name) = ns::callback_name(&action) else {
        return Err(Fault::action_not_supported(&action));
    };
    let op = expect_body(envelope, name)?;
    let mut ctx = Ctx::new(op, limits).map_err(Fault::from)?;
    decode_callback(&mut ctx, name, op)
        .map(ServerMessage::Callback)
        .map_err(Fault::from)
}

fn decode_callback(ctx: &mut Ctx<'_>, name: &str, op: Node<'_>) -> DResult<ProgressEvent> {
    let sub_task = |ctx: &mut Ctx<'_>| -> DResult<SubTaskInstance> {
        let p = format!("{name}/subTaskInstance");
        match ctx.member(op, IPAM, "subTaskInstance", &p)? {
            Member::Present(n) => decode::sub_task(ctx, n, &p),
            _ => Err(invalid(&p, "", "subTaskInstance is required")),
        }
    };
    Ok(match name {
        "StartProgressCallback" => ProgressEvent::StartProgressCallback {
            is_non_deterministic: ctx
                .boolean(op, IPAM, "isNonDeterministic", name)?
                .unwrap_or_default(),
        },
        "AddSubTask" => ProgressEvent::AddSubTask {
            sub_task_instance: sub_task(ctx)?,
        },
        "SetSubTaskStatus" => ProgressEvent::SetSubTaskStatus {
            sub_task_instance: sub_task(ctx)?,
            status: ctx.parse(op, IPAM, "status", name)?.unwrap_or_default(),
            percent_complete: percent(ctx, op, "percentComplete", name)?,
            completion_status: decode::opt_exception(ctx, op, "completionStatus", name)?,
        },
        "SetCompletionPercentage" => ProgressEvent::SetCompletionPercentage {
            completion_percentage: percent(ctx, op, "completionPercentage", name)?,
        },
        _ => {
            let p = format!("{name}/completionStatus");
            let completion_status = match ctx.member(op, IPAM, "completionStatus", &p)? {
                Member::Present(n) => Some(decode::completion(ctx, n, &p)?),
                _ => None,
            };
            ProgressEvent::SetOverallStatus {
                overall_status: ctx
                    .parse(op, IPAM, "overallStatus", name)?
                    .unwrap_or_default(),
                completion_status,
            }
        }
    })
}

/// An `xsd:decimal` percentage, 0–100; a fraction is truncated.
fn percent(ctx: &Ctx<'_>, op: Node<'_>, local: &str, path: &str) -> DResult<u8> {
    let p = format!("{path}/{local}");
    let Some(t) = ctx.text(op, IPAM, local, &p)? else {
        return Ok(0);
    };
    let s = t.trim_matches(is_xml_space);
    let unsigned = s.strip_prefix('+').unwrap_or(s);
    let (whole, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let ok = !(whole.is_empty() && frac.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return Err(invalid(&p, &t, "not an xsd:decimal percentage"));
    }
    let digits = whole.trim_start_matches('0');
    match digits.parse::<u8>() {
        _ if digits.is_empty() => Ok(0),
        Ok(v) if v <= 100 => Ok(v),
        _ => Err(invalid(&p, &t, "a percentage is between 0 and 100")),
    }
}

fn decode_fault(
    envelope: Node<'_>,
    f: Node<'_>,
    h: Headers,
    limits: &Limits,
) -> Result<Fault, Fault> {
    let code_el = child(f, SOAP12, "Code");
    let value = |n: Option<Node<'_>>| -> DResult<Option<(String, String)>> {
        match n.and_then(|c| child(c, SOAP12, "Value")) {
            None => Ok(None),
            Some(v) => resolve_qname(v, &text_of(v), "Fault/Code/Value").map(Some),
        }
    };
    let code = value(code_el)?
        .and_then(|(_, l)| FaultCode::from_local_name(&l))
        .ok_or_else(|| {
            Fault::from(IpamException::invalid_parameter(
                "the fault has no known s:Code/s:Value",
            ))
        })?;
    let subcode =
        value(code_el.and_then(|c| child(c, SOAP12, "Subcode")))?.map(|(u, l)| QName::new(u, l));
    let reason = child(f, SOAP12, "Reason")
        .and_then(|r| child(r, SOAP12, "Text"))
        .map(text_of)
        .unwrap_or_default();
    let detail_el = child(f, SOAP12, "Detail");
    let detail = match detail_el.and_then(|d| child(d, IPAM1, "IpamException")) {
        Some(e) => {
            let mut ctx = Ctx::new(e, limits)?;
            Some(decode::ipam_exception(&mut ctx, e, "Detail/IpamException")?)
        }
        None => None,
    };
    let problem_action = detail_el
        .and_then(|d| child(d, WSA, "ProblemAction"))
        .and_then(|p| child(p, WSA, "Action"))
        .map(|a| text_of(a).trim_matches(is_xml_space).to_owned());
    let not_understood = child(envelope, SOAP12, "Header")
        .and_then(|hd| child(hd, SOAP12, "NotUnderstood"))
        .and_then(|n| n.attribute(("", "qname")).map(|q| (n, q)))
        .map(|(n, q)| resolve_qname(n, q, "NotUnderstood/@qname"))
        .transpose()?
        .map(|(u, l)| QName::new(u, l));
    Ok(Fault {
        code,
        subcode,
        reason,
        detail,
        action: h.action.unwrap_or_default(),
        not_understood,
        problem_action,
        request_message_id: h.relates_to,
    })
}

// ---------------------------------------------------------------------------------------
// Encoding.

fn header_action(out: &mut Out<'_>, action: &str) {
    out.start(SOAP12, "Header", &[]);
    out.text_el_with(WSA, "Action", &[("s:mustUnderstand", "1")], action);
}

/// What `write` writes into an [`XmlSink`], as XML text (the form of the `encode_*`
/// functions that return a `String`).
pub fn to_text(write: impl FnOnce(&mut dyn XmlSink)) -> String {
    let mut sink = TextSink::new();
    write(&mut sink);
    sink.into_string()
}

fn reply(sink: &mut dyn XmlSink, action: &str, relates_to: Option<&str>, body: &str) {
    let mut out = Out::envelope(sink);
    header_action(&mut out, action);
    if let Some(r) = relates_to {
        out.text_el(WSA, "RelatesTo", r);
    }
    out.text_el_with(WSA, "To", &[("s:mustUnderstand", "1")], ns::ANONYMOUS);
    out.end();
    out.start(SOAP12, "Body", &[]);
    out.empty_default(IPAM, body);
    out.finish();
}

/// The reply to `InitializeOperationParameters` (§3.19.4.3): an empty
/// `InitializeOperationParametersResponse`, `a:RelatesTo` = the request's `a:MessageID`.
pub fn encode_initialize_response(relates_to: Option<&str>) -> String {
    to_text(|sink| encode_initialize_response_to(relates_to, sink))
}

/// [`encode_initialize_response`] into any [`XmlSink`].
pub fn encode_initialize_response_to(relates_to: Option<&str>, sink: &mut dyn XmlSink) {
    reply(
        sink,
        ns::ACTION_INITIALIZE_RESPONSE,
        relates_to,
        "InitializeOperationParametersResponse",
    );
}

/// The reply to `StartOperationWithCallback` (§3.19.4.4).
pub fn encode_start_response(relates_to: Option<&str>) -> String {
    to_text(|sink| encode_start_response_to(relates_to, sink))
}

/// [`encode_start_response`] into any [`XmlSink`].
pub fn encode_start_response_to(relates_to: Option<&str>, sink: &mut dyn XmlSink) {
    reply(
        sink,
        ns::ACTION_START_RESPONSE,
        relates_to,
        "StartOperationWithCallbackResponse",
    );
}

/// A one-way callback message (§3.19.4.5–.9): action of the service port type, `a:To`
/// anonymous, no `a:MessageID` (as in the §4.3 example).
pub fn encode_callback(event: &ProgressEvent) -> String {
    to_text(|sink| encode_callback_to(event, sink))
}

/// [`encode_callback`] into any [`XmlSink`].
pub fn encode_callback_to(event: &ProgressEvent, sink: &mut dyn XmlSink) {
    let mut out = Out::envelope(sink);
    header_action(&mut out, &ns::callback_action(event.name()));
    out.text_el_with(WSA, "To", &[("s:mustUnderstand", "1")], ns::ANONYMOUS);
    out.end();
    out.start(SOAP12, "Body", &[]);
    out.start_default(IPAM, event.name(), &[]);
    match event {
        ProgressEvent::StartProgressCallback {
            is_non_deterministic,
        } => {
            out.text_el(
                IPAM,
                "isNonDeterministic",
                if *is_non_deterministic {
                    "true"
                } else {
                    "false"
                },
            );
        }
        ProgressEvent::AddSubTask { sub_task_instance } => {
            encode::sub_task(&mut out, "subTaskInstance", sub_task_instance)
        }
        ProgressEvent::SetSubTaskStatus {
            sub_task_instance,
            status,
            percent_complete,
            completion_status,
        } => {
            encode::sub_task(&mut out, "subTaskInstance", sub_task_instance);
            out.text_el(IPAM, "status", status.as_str());
            out.text_el(IPAM, "percentComplete", &percent_complete.to_string());
            encode::opt_exception(&mut out, "completionStatus", completion_status.as_ref());
        }
        ProgressEvent::SetCompletionPercentage {
            completion_percentage,
        } => {
            out.text_el(
                IPAM,
                "completionPercentage",
                &completion_percentage.to_string(),
            );
        }
        ProgressEvent::SetOverallStatus {
            overall_status,
            completion_status,
        } => {
            out.text_el(IPAM, "overallStatus", overall_status.as_str());
            match completion_status {
                Some(c) => encode::completion(&mut out, "completionStatus", c),
                None => out.nil(IPAM, "completionStatus"),
            }
        }
    }
    out.finish();
}

/// A SOAP 1.2 fault (§2.2.2.1): `s:Code/s:Value` as a QName, `s:Reason/s:Text`
/// xml:lang="en-US", `s:Detail/IpamException`; VersionMismatch faults carry the
/// `s:Upgrade` header, MustUnderstand faults `s:NotUnderstood`, ActionNotSupported faults
/// `a:ProblemAction`. `relates_to` is the request's `a:MessageID`.
pub fn encode_fault(fault: &Fault, relates_to: Option<&str>) -> String {
    to_text(|sink| encode_fault_to(fault, relates_to, sink))
}

/// [`encode_fault`] into any [`XmlSink`].
pub fn encode_fault_to(fault: &Fault, relates_to: Option<&str>, sink: &mut dyn XmlSink) {
    let mut out = Out::envelope(sink);
    header_action(&mut out, &fault.action);
    if let Some(r) = relates_to {
        out.text_el(WSA, "RelatesTo", r);
    }
    if fault.code == FaultCode::VersionMismatch {
        out.start(SOAP12, "Upgrade", &[]);
        out.empty(SOAP12, "SupportedEnvelope", &[("qname", "s:Envelope")]);
        out.end();
    }
    if let Some(q) = &fault.not_understood {
        // The header's namespace gets its own prefix: it is not one of ours.
        let qname = if q.ns.is_empty() {
            q.local.clone()
        } else {
            format!("nu:{}", q.local)
        };
        let mut attrs = vec![("qname", qname.as_str())];
        if !q.ns.is_empty() {
            attrs.push(("xmlns:nu", q.ns.as_str()));
        }
        out.empty(SOAP12, "NotUnderstood", &attrs);
    }
    out.end();
    out.start(SOAP12, "Body", &[]);
    out.start(SOAP12, "Fault", &[]);
    out.start(SOAP12, "Code", &[]);
    // QName values carry their prefix declaration on the element itself, and the detail
    // declares every prefix its content uses: readers that copy the fault body out of its
    // envelope (Mono's WCF client with binary encoding) must still resolve them.
    out.text_el_with(
        SOAP12,
        "Value",
        &[("xmlns:s", SOAP12)],
        &format!("s:{}", fault.code.local_name()),
    );
    if let Some(sub) = &fault.subcode {
        out.start(SOAP12, "Subcode", &[]);
        if sub.ns == WSA {
            out.text_el_with(
                SOAP12,
                "Value",
                &[("xmlns:a", WSA)],
                &format!("a:{}", sub.local),
            );
        } else {
            out.text_el_with(
                SOAP12,
                "Value",
                &[("xmlns:sc", &sub.ns)],
                &format!("sc:{}", sub.local),
            );
        }
        out.end();
    }
    out.end();
    out.start(SOAP12, "Reason", &[]);
    out.text_el_with(SOAP12, "Text", &[("xml:lang", "en-US")], &fault.reason);
    out.end();
    if fault.detail.is_some() || fault.problem_action.is_some() {
        out.start(SOAP12, "Detail", &[]);
        if let Some(e) = &fault.detail {
            let decls = crate::writer::all_prefix_declarations();
            let attrs: Vec<(&str, &str)> = decls.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            out.start_default(IPAM1, "IpamException", &attrs);
            encode::ipam_exception_content(&mut out, e);
            out.end();
        }
        if let Some(a) = &fault.problem_action {
            out.start(WSA, "ProblemAction", &[]);
            out.text_el(WSA, "Action", a);
            out.end();
        }
        out.end();
    }
    out.finish();
}

fn request_header(out: &mut Out<'_>, action: &str, message_id: &str, to: Option<&str>) {
    header_action(out, action);
    out.text_el(WSA, "MessageID", message_id);
    out.start(WSA, "ReplyTo", &[]);
    out.text_el(WSA, "Address", ns::ANONYMOUS);
    out.end();
    if let Some(to) = to {
        out.text_el_with(WSA, "To", &[("s:mustUnderstand", "1")], to);
    }
    out.end();
}

/// Client side: an `InitializeOperationParameters` request (§3.19.4.3); `None` writes
/// `paramters` as `i:nil="true"`.
pub fn encode_initialize_request(
    params: Option<&IpamOperationWithProgressParameters>,
    message_id: &str,
    to: Option<&str>,
) -> String {
    to_text(|sink| {
        let mut out = Out::envelope(sink);
        request_header(&mut out, ns::ACTION_INITIALIZE, message_id, to);
        out.start(SOAP12, "Body", &[]);
        out.start_default(IPAM, "InitializeOperationParameters", &[]);
        match params {
            Some(p) => encode::paramters(&mut out, p),
            None => out.nil(IPAM, "paramters"),
        }
        out.finish();
    })
}

/// Client side: a `StartOperationWithCallback` request (§3.19.4.4).
pub fn encode_start_request(message_id: &str, to: Option<&str>) -> String {
    to_text(|sink| {
        let mut out = Out::envelope(sink);
        request_header(&mut out, ns::ACTION_START, message_id, to);
        out.start(SOAP12, "Body", &[]);
        out.empty_default(IPAM, "StartOperationWithCallback");
        out.finish();
    })
}

/// Client side: the Keepalive message (§2.2.2.2).
pub fn encode_keepalive() -> String {
    to_text(|sink| {
        let mut out = Out::envelope(sink);
        header_action(&mut out, ns::ACTION_KEEPALIVE);
        out.end();
        out.empty(SOAP12, "Body", &[]);
        out.finish();
    })
}

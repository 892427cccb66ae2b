//! SOAP 1.2 faults (§2.2.2.1) carrying an `IpamException` (§2.2.4.247) detail, and the
//! envelope-level faults (VersionMismatch, MustUnderstand, WS-Addressing ActionNotSupported).

use ipam_model::IpamException;

use crate::ns;

/// `s:Code/s:Value` of a SOAP 1.2 fault ([SOAP1.2-1/2007] §5.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    /// `s:VersionMismatch`: not a SOAP 1.2 envelope.
    VersionMismatch,
    /// `s:MustUnderstand`: a mandatory header was not understood.
    MustUnderstand,
    /// `s:DataEncodingUnknown`.
    DataEncodingUnknown,
    /// `s:Sender`: the request was at fault; the code of every [MS-IPAMM2] fault (§2.2.2.1).
    Sender,
    /// `s:Receiver`.
    Receiver,
}

impl FaultCode {
    /// The local name in the SOAP 1.2 envelope namespace.
    pub fn local_name(self) -> &'static str {
        match self {
            FaultCode::VersionMismatch => "VersionMismatch",
            FaultCode::MustUnderstand => "MustUnderstand",
            FaultCode::DataEncodingUnknown => "DataEncodingUnknown",
            FaultCode::Sender => "Sender",
            FaultCode::Receiver => "Receiver",
        }
    }

    /// The code for a local name (any namespace, see docs/spec-decisions.md on Mono's bare `Sender`).
    pub fn from_local_name(name: &str) -> Option<Self> {
        [
            Self::VersionMismatch,
            Self::MustUnderstand,
            Self::DataEncodingUnknown,
            Self::Sender,
            Self::Receiver,
        ]
        .into_iter()
        .find(|c| c.local_name() == name)
    }
}

/// An expanded XML name: namespace URI and local name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QName {
    /// Namespace URI ("" for none).
    pub ns: String,
    /// Local name.
    pub local: String,
}

impl QName {
    /// A name in a namespace.
    pub fn new(ns: impl Into<String>, local: impl Into<String>) -> Self {
        QName {
            ns: ns.into(),
            local: local.into(),
        }
    }
}

impl std::fmt::Display for QName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.ns.is_empty() {
            f.write_str(&self.local)
        } else {
            write!(f, "{{{}}}{}", self.ns, self.local)
        }
    }
}

/// A SOAP fault, as sent by the server or read back by a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `s:Code/s:Value`.
    pub code: FaultCode,
    /// `s:Code/s:Subcode/s:Value`, e.g. `a:ActionNotSupported`.
    pub subcode: Option<QName>,
    /// `s:Reason/s:Text` (xml:lang en-US): what went wrong.
    pub reason: String,
    /// `s:Detail/IpamException` (§2.2.2.1).
    pub detail: Option<IpamException>,
    /// The `a:Action` the fault is sent with.
    pub action: String,
    /// For MustUnderstand faults: the header not understood (`s:NotUnderstood`, SOAP 1.2 §5.4.8).
    pub not_understood: Option<QName>,
    /// For ActionNotSupported faults: the offending action (`a:ProblemAction`).
    pub problem_action: Option<String>,
    /// The `a:MessageID` of the request that caused the fault, when it could be read
    /// (decoding), or the fault's `a:RelatesTo` (when a client decodes a fault).
    pub request_message_id: Option<String>,
}

impl Fault {
    /// A fault without detail.
    fn bare(code: FaultCode, reason: impl Into<String>, action: &str) -> Self {
        Fault {
            code,
            subcode: None,
            reason: reason.into(),
            detail: None,
            action: action.to_owned(),
            not_understood: None,
            problem_action: None,
            request_message_id: None,
        }
    }

    /// `s:VersionMismatch` for an envelope that is not SOAP 1.2 (SOAP 1.2 §5.4.7).
    pub fn version_mismatch(found: &str) -> Self {
        Self::bare(
            FaultCode::VersionMismatch,
            format!(
                "the envelope namespace '{found}' is not SOAP 1.2 ({})",
                ns::SOAP12
            ),
            ns::ACTION_SOAP_FAULT,
        )
    }

    /// `s:MustUnderstand` for a mandatory header this server does not process.
    pub fn must_understand(header: QName) -> Self {
        let mut f = Self::bare(
            FaultCode::MustUnderstand,
            format!("the header {header} is marked mustUnderstand and was not understood"),
            ns::ACTION_SOAP_FAULT,
        );
        f.not_understood = Some(header);
        f
    }

    /// WS-Addressing `a:ActionNotSupported` (WS-Addressing 1.0 SOAP Binding §6.4.1).
    pub fn action_not_supported(action: &str) -> Self {
        let mut f = Self::bare(
            FaultCode::Sender,
            format!("the action '{action}' cannot be processed at the receiver"),
            ns::ACTION_ADDRESSING_FAULT,
        );
        f.subcode = Some(QName::new(ns::WSA, "ActionNotSupported"));
        f.problem_action = Some(action.to_owned());
        f
    }

    /// WS-Addressing `a:MessageAddressingHeaderRequired` (no `a:Action`).
    pub fn action_required() -> Self {
        let mut f = Self::bare(
            FaultCode::Sender,
            "a required header representing a Message Addressing Property is not present: Action",
            ns::ACTION_ADDRESSING_FAULT,
        );
        f.subcode = Some(QName::new(ns::WSA, "MessageAddressingHeaderRequired"));
        f
    }

    /// The same fault, remembering the request's `a:MessageID`.
    pub fn relating_to(mut self, message_id: Option<&str>) -> Self {
        if self.request_message_id.is_none() {
            self.request_message_id = message_id.map(str::to_owned);
        }
        self
    }
}

/// An IPAM fault: code `s:Sender`, the exception's message as the reason, the exception as
/// the detail (§2.2.2.1).
impl From<IpamException> for Fault {
    fn from(e: IpamException) -> Self {
        let mut f = Fault::bare(FaultCode::Sender, e.message.clone(), ns::ACTION_SOAP_FAULT);
        f.detail = Some(e);
        f
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SOAP fault {}: {}", self.code.local_name(), self.reason)
    }
}

impl std::error::Error for Fault {}

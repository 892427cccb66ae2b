//! Fault Record values, MC-NMF §2.2.5.

use std::fmt;

/// Namespace of the faults defined by MC-NMF §2.2.5.
pub const FAULT_NAMESPACE: &str = "http://schemas.microsoft.com/ws/2006/05/framing/faults/";

macro_rules! faults {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// A framing fault from the MC-NMF §2.2.5 table. It is sent as the
        /// URI [`FAULT_NAMESPACE`] + [`name`](Self::name) in a Fault Record.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FramingFault {
            $($(#[$doc])* $variant,)*
        }

        impl FramingFault {
            /// Every fault defined by MC-NMF §2.2.5.
            pub const ALL: &[FramingFault] = &[$(FramingFault::$variant,)*];

            /// The fault name, e.g. `"UnsupportedMode"`.
            pub const fn name(self) -> &'static str {
                match self { $(FramingFault::$variant => $name,)* }
            }

            /// The full fault URI as sent on the wire.
            pub const fn uri(self) -> &'static str {
                match self {
                    $(FramingFault::$variant => concat!(
                        "http://schemas.microsoft.com/ws/2006/05/framing/faults/", $name),)*
                }
            }
        }
    };
}

faults! {
    /// The endpoint exists but dispatching the message to it failed.
    ConnectionDispatchFailed => "ConnectionDispatchFailed",
    /// The Envelope Encoding Record names an unsupported encoding.
    ContentTypeInvalid => "ContentTypeInvalid",
    /// The Extensible Encoding Record exceeds the receiver's quota.
    ContentTypeTooLong => "ContentTypeTooLong",
    /// The endpoint named by the Via cannot be accessed.
    EndpointAccessDenied => "EndpointAccessDenied",
    /// The endpoint named by the Via cannot be found.
    EndpointNotFound => "EndpointNotFound",
    /// The endpoint named by the Via is paused.
    EndpointPaused => "EndpointPaused",
    /// The endpoint named by the Via is unavailable.
    EndpointUnavailable => "EndpointUnavailable",
    /// The record sequence violates the MC-NMF §3.1.1.2 grammar.
    InvalidRecordSequence => "InvalidRecordSequence",
    /// The incoming message exceeds the receiver's maximum message size.
    MaxMessageSizeExceeded => "MaxMessageSizeExceededFault",
    /// The endpoint lacks the resources to process the connection.
    ServerTooBusy => "ServerTooBusy",
    /// The endpoint's process cannot be activated.
    ServiceActivationFailed => "ServiceActivationFailed",
    /// The Mode Record value is not supported.
    UnsupportedMode => "UnsupportedMode",
    /// The Version Record value is not supported.
    UnsupportedVersion => "UnsupportedVersion",
    /// The requested upgrade is not supported.
    UpgradeInvalid => "UpgradeInvalid",
    /// The Via exceeds the receiver's maximum Via size.
    ViaTooLong => "ViaTooLong",
}

impl FramingFault {
    /// Parses a fault URI received in a Fault Record. Returns `None` for URIs
    /// outside the MC-NMF table (implementations may define their own).
    pub fn from_uri(uri: &str) -> Option<Self> {
        let name = uri.strip_prefix(FAULT_NAMESPACE)?;
        Self::ALL.iter().copied().find(|f| f.name() == name)
    }
}

impl fmt::Display for FramingFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.uri())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_roundtrip_and_use_the_namespace() {
        for &fault in FramingFault::ALL {
            assert!(fault.uri().starts_with(FAULT_NAMESPACE));
            assert_eq!(FramingFault::from_uri(fault.uri()), Some(fault));
        }
        assert_eq!(FramingFault::ALL.len(), 15);
    }

    #[test]
    fn spec_example_uri() {
        // MC-NMF §2.2.5 example.
        assert_eq!(
            FramingFault::UnsupportedMode.uri(),
            "http://schemas.microsoft.com/ws/2006/05/framing/faults/UnsupportedMode"
        );
        assert_eq!(
            FramingFault::MaxMessageSizeExceeded.uri(),
            "http://schemas.microsoft.com/ws/2006/05/framing/faults/MaxMessageSizeExceededFault"
        );
        assert_eq!(FramingFault::from_uri("urn:vendor:Other"), None);
    }
}

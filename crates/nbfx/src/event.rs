//! The XML event model shared by the decoder, the encoder and the XML text
//! bridge.

use crate::TextValue;

/// One XML event. A document is a `Vec<XmlEvent>`.
///
/// Rules (checked by the encoder and the XML writer, guaranteed by the
/// decoder): [`XmlEvent::Attribute`] and [`XmlEvent::NamespaceDecl`] only
/// directly follow a [`XmlEvent::StartElement`] or another attribute/namespace
/// event; every `StartElement` is closed by an [`XmlEvent::EndElement`].
/// Prefixes are the literal wire prefixes (`""` for none); namespaces are not
/// resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum XmlEvent {
    /// Start tag `<prefix:local_name`.
    StartElement {
        /// Element prefix, `""` for none.
        prefix: String,
        /// Local name (non-empty).
        local_name: String,
    },
    /// Attribute `prefix:local_name="value"` of the current start tag.
    Attribute {
        /// Attribute prefix, `""` for none.
        prefix: String,
        /// Local name (non-empty).
        local_name: String,
        /// The value (a single text record on the wire).
        value: TextValue,
    },
    /// Namespace declaration `xmlns:prefix="uri"` (`xmlns="uri"` when
    /// `prefix` is empty) on the current start tag.
    NamespaceDecl {
        /// Declared prefix, `""` for the default namespace.
        prefix: String,
        /// Namespace URI.
        uri: String,
    },
    /// Character content.
    Text(TextValue),
    /// A comment `<!--…-->` (MC-NBFX §2.3.2).
    Comment(String),
    /// End of the most recently started element.
    EndElement,
}

impl XmlEvent {
    /// A `StartElement` event.
    pub fn start(prefix: impl Into<String>, local_name: impl Into<String>) -> Self {
        Self::StartElement {
            prefix: prefix.into(),
            local_name: local_name.into(),
        }
    }

    /// An `Attribute` event with a string value.
    pub fn attr(
        prefix: impl Into<String>,
        local_name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Self::Attribute {
            prefix: prefix.into(),
            local_name: local_name.into(),
            value: TextValue::Text(value.into()),
        }
    }

    /// A `NamespaceDecl` event.
    pub fn xmlns(prefix: impl Into<String>, uri: impl Into<String>) -> Self {
        Self::NamespaceDecl {
            prefix: prefix.into(),
            uri: uri.into(),
        }
    }

    /// A string `Text` event.
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text(TextValue::Text(s.into()))
    }
}

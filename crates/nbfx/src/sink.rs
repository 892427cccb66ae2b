//! Decoding record by record into a caller's [`EventSink`], with names and string text
//! borrowed from the input or the dictionaries instead of copied into [`XmlEvent`]s.

use std::borrow::Cow;
use std::convert::Infallible;

use crate::{Error, TextValue, XmlEvent};

/// The content of a text record as the decoder hands it to an [`EventSink`].
#[derive(Debug, Clone, PartialEq)]
pub enum Text<'a> {
    /// Characters found as they are in the input or in a dictionary (Chars*Text,
    /// DictionaryText, EmptyText).
    Str(&'a str),
    /// Any other record: typed values, UTF-16 text, bytes, lists and QNames. Its
    /// [`Display`](std::fmt::Display) form is its XML characters.
    Value(TextValue),
}

impl<'a> Text<'a> {
    /// The value as an [`XmlEvent`] carries it.
    pub fn into_owned(self) -> TextValue {
        match self {
            Text::Str(s) => TextValue::Text(s.to_owned()),
            Text::Value(v) => v,
        }
    }

    /// The XML characters (unescaped): borrowed when they are in the input or a
    /// dictionary, else the value's text form.
    pub fn into_cow(self) -> Cow<'a, str> {
        match self {
            Text::Str(s) => Cow::Borrowed(s),
            Text::Value(TextValue::Text(s)) => Cow::Owned(s),
            Text::Value(v) => Cow::Owned(v.to_string()),
        }
    }

    /// The same value as [`TextValue`]'s output accounting gives.
    pub(crate) fn approx_len(&self) -> usize {
        match self {
            Text::Str(s) => s.len(),
            Text::Value(v) => v.approx_len(),
        }
    }

    /// A borrowed view of an event's value.
    fn of(value: &'a TextValue) -> Self {
        match value {
            TextValue::Text(s) => Text::Str(s),
            other => Text::Value(other.clone()),
        }
    }
}

/// Receives a document's events as they are decoded, in the order (and under the rules)
/// of [`XmlEvent`]: names, namespace URIs, comments and string text live as long as the
/// input and the dictionary (`'a`).
///
/// A sink may stop the decoding by returning an error; the decoder then returns
/// [`SinkError::Sink`] at once, without reading the rest of the input (which may or may
/// not be valid).
pub trait EventSink<'a> {
    /// Why the sink stopped.
    type Error;

    /// [`XmlEvent::StartElement`].
    fn start_element(&mut self, prefix: &'a str, local_name: &'a str) -> Result<(), Self::Error>;

    /// [`XmlEvent::Attribute`].
    fn attribute(
        &mut self,
        prefix: &'a str,
        local_name: &'a str,
        value: Text<'a>,
    ) -> Result<(), Self::Error>;

    /// [`XmlEvent::NamespaceDecl`].
    fn namespace(&mut self, prefix: &'a str, uri: &'a str) -> Result<(), Self::Error>;

    /// [`XmlEvent::Text`].
    fn text(&mut self, value: Text<'a>) -> Result<(), Self::Error>;

    /// [`XmlEvent::Comment`].
    fn comment(&mut self, text: &'a str) -> Result<(), Self::Error>;

    /// [`XmlEvent::EndElement`].
    fn end_element(&mut self) -> Result<(), Self::Error>;
}

/// Why decoding into an [`EventSink`] stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkError<E> {
    /// The input is not a valid document (exactly the error the [`XmlEvent`] decoders
    /// give for it).
    Decode(Error),
    /// The sink stopped the decoding.
    Sink(E),
}

impl<E> From<Error> for SinkError<E> {
    fn from(e: Error) -> Self {
        SinkError::Decode(e)
    }
}

impl SinkError<Infallible> {
    /// The decoding error of a sink that never stops.
    pub fn into_decode(self) -> Error {
        match self {
            SinkError::Decode(e) => e,
            SinkError::Sink(never) => match never {},
        }
    }
}

/// Collects the events as owned [`XmlEvent`]s.
#[derive(Debug, Default)]
pub(crate) struct Collect(pub(crate) Vec<XmlEvent>);

impl<'a> EventSink<'a> for Collect {
    type Error = Infallible;

    fn start_element(&mut self, prefix: &'a str, local_name: &'a str) -> Result<(), Infallible> {
        self.0.push(XmlEvent::start(prefix, local_name));
        Ok(())
    }

    fn attribute(
        &mut self,
        prefix: &'a str,
        local_name: &'a str,
        value: Text<'a>,
    ) -> Result<(), Infallible> {
        self.0.push(XmlEvent::Attribute {
            prefix: prefix.to_owned(),
            local_name: local_name.to_owned(),
            value: value.into_owned(),
        });
        Ok(())
    }

    fn namespace(&mut self, prefix: &'a str, uri: &'a str) -> Result<(), Infallible> {
        self.0.push(XmlEvent::xmlns(prefix, uri));
        Ok(())
    }

    fn text(&mut self, value: Text<'a>) -> Result<(), Infallible> {
        self.0.push(XmlEvent::Text(value.into_owned()));
        Ok(())
    }

    fn comment(&mut self, text: &'a str) -> Result<(), Infallible> {
        self.0.push(XmlEvent::Comment(text.to_owned()));
        Ok(())
    }

    fn end_element(&mut self) -> Result<(), Infallible> {
        self.0.push(XmlEvent::EndElement);
        Ok(())
    }
}

/// Gives `events` to `sink` one by one, string text borrowed from them (other values
/// cloned), as a decoder would.
pub fn replay<'a, S: EventSink<'a>>(events: &'a [XmlEvent], sink: &mut S) -> Result<(), S::Error> {
    for event in events {
        match event {
            XmlEvent::StartElement { prefix, local_name } => {
                sink.start_element(prefix, local_name)?
            }
            XmlEvent::Attribute {
                prefix,
                local_name,
                value,
            } => sink.attribute(prefix, local_name, Text::of(value))?,
            XmlEvent::NamespaceDecl { prefix, uri } => sink.namespace(prefix, uri)?,
            XmlEvent::Text(value) => sink.text(Text::of(value))?,
            XmlEvent::Comment(c) => sink.comment(c)?,
            XmlEvent::EndElement => sink.end_element()?,
        }
    }
    Ok(())
}

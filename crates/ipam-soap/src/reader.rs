//! DataContract reading helpers over the message tree ([`crate::tree`]): members by namespace URI, `i:nil`,
//! `i:type` QNames resolved against in-scope namespaces, `z:Id`/`z:Ref` references.

use std::borrow::Cow;
use std::collections::HashMap;
use std::str::FromStr;

use crate::tree::Node;
use ipam_model::{IpamException, IpamExceptionId};

use crate::limits::{Limits, quota};
use crate::ns;

/// Result of the type decoders: a failure is the exception the fault will carry.
pub(crate) type DResult<T> = Result<T, IpamException>;

/// A member that may be absent, `i:nil="true"`, or present (DataContract distinguishes them).
#[derive(Debug, Clone, PartialEq)]
pub enum Member<T> {
    /// The element is not there.
    Absent,
    /// `i:nil="true"`.
    Nil,
    /// A value.
    Present(T),
}

impl<T> Member<T> {
    /// NULL (absent or nil) as `None`.
    pub fn into_option(self) -> Option<T> {
        match self {
            Member::Present(v) => Some(v),
            _ => None,
        }
    }

    /// A reference to the value, if any.
    pub fn as_option(&self) -> Option<&T> {
        match self {
            Member::Present(v) => Some(v),
            _ => None,
        }
    }
}

/// State of one decode: the `z:Id` table, the limits, and the nesting of typed values
/// (bounded so that `z:Ref` cycles end in a fault).
pub(crate) struct Ctx<'a> {
    ids: HashMap<&'a str, Node<'a>>,
    pub limits: &'a Limits,
    depth: usize,
}

/// Shortens a value quoted in a message.
pub(crate) fn clip(s: &str) -> String {
    let mut c: String = s.chars().take(128).collect();
    if c.len() < s.len() {
        c.push('…');
    }
    c
}

/// `IpamApiInvalidParameter` naming the element path and the value.
pub(crate) fn invalid(path: &str, value: &str, why: impl std::fmt::Display) -> IpamException {
    IpamException::invalid_parameter(format!("invalid value '{}' at {path}: {why}", clip(value)))
}

impl<'a> Ctx<'a> {
    /// Indexes every element carrying `z:Id` under `root`.
    pub fn new(root: Node<'a>, limits: &'a Limits) -> DResult<Self> {
        let mut ids = HashMap::new();
        for n in root.descendants() {
            if let Some(id) = n.attribute((ns::SER, "Id"))
                && ids.insert(id, n).is_some()
            {
                return Err(IpamException::invalid_parameter(format!(
                    "duplicate z:Id '{}'",
                    clip(id)
                )));
            }
        }
        Ok(Ctx {
            ids,
            limits,
            depth: 0,
        })
    }

    /// Enters a typed value; fails past the depth limit (also ends `z:Ref` cycles).
    pub fn enter(&mut self, path: &str) -> DResult<()> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(quota(format!(
                "{path}: objects nest deeper than the maximum depth of {}",
                self.limits.max_depth
            )));
        }
        Ok(())
    }

    /// Leaves a typed value.
    pub fn leave(&mut self) {
        self.depth -= 1;
    }

    /// The element holding the content of `n`: `n` itself, or the element its `z:Ref` names.
    pub fn deref(&self, n: Node<'a>, path: &str) -> DResult<Node<'a>> {
        match n.attribute((ns::SER, "Ref")) {
            None => Ok(n),
            Some(r) => {
                let target = *self
                    .ids
                    .get(r)
                    .ok_or_else(|| invalid(path, r, "z:Ref names no element with that z:Id"))?;
                if target.attribute((ns::SER, "Ref")).is_some() {
                    return Err(invalid(
                        path,
                        r,
                        "z:Ref names an element that is itself a reference",
                    ));
                }
                Ok(target)
            }
        }
    }

    /// Member `local` of `parent` in namespace `ns_uri` (first match), after `z:Ref`
    /// resolution, as absent / nil / present.
    pub fn member(
        &self,
        parent: Node<'a>,
        ns_uri: &str,
        local: &str,
        path: &str,
    ) -> DResult<Member<Node<'a>>> {
        match child(parent, ns_uri, local) {
            None => Ok(Member::Absent),
            Some(n) => {
                let n = self.deref(n, path)?;
                if is_nil(n, path)? {
                    Ok(Member::Nil)
                } else {
                    Ok(Member::Present(n))
                }
            }
        }
    }

    /// The text of a member, `None` when absent or nil.
    pub fn text(
        &self,
        parent: Node<'a>,
        ns_uri: &str,
        local: &str,
        path: &str,
    ) -> DResult<Option<String>> {
        Ok(self
            .member(parent, ns_uri, local, path)?
            .into_option()
            .map(text_of))
    }

    /// A member parsed with `FromStr`; absent or nil give `None`.
    pub fn parse<T>(
        &self,
        parent: Node<'a>,
        ns_uri: &str,
        local: &str,
        path: &str,
    ) -> DResult<Option<T>>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        let Some(t) = self.plain_text(parent, ns_uri, local, path)? else {
            return Ok(None);
        };
        t.trim_matches(is_xml_space)
            .parse::<T>()
            .map(Some)
            .map_err(|e| invalid(&format!("{path}/{local}"), &t, e))
    }

    /// An `xsd:boolean` member; absent or nil give `None`.
    pub fn boolean(
        &self,
        parent: Node<'a>,
        ns_uri: &str,
        local: &str,
        path: &str,
    ) -> DResult<Option<bool>> {
        let Some(t) = self.plain_text(parent, ns_uri, local, path)? else {
            return Ok(None);
        };
        parse_bool(&t)
            .map(Some)
            .ok_or_else(|| invalid(&format!("{path}/{local}"), &t, "not an xsd:boolean"))
    }

    /// The text of member `local` of the element at `path`, `None` when absent or nil, as
    /// [`Ctx::text`] reads it; the member's path is only written out for an error. A member
    /// without `z:Ref` and `i:nil` (nearly all) is read in place.
    fn plain_text(
        &self,
        parent: Node<'a>,
        ns_uri: &str,
        local: &str,
        path: &str,
    ) -> DResult<Option<Cow<'a, str>>> {
        match child(parent, ns_uri, local) {
            None => Ok(None),
            Some(n)
                if n.attribute((ns::SER, "Ref")).is_none()
                    && n.attribute((ns::XSI, "nil")).is_none() =>
            {
                Ok(Some(Cow::Borrowed(n.text())))
            }
            Some(_) => Ok(self
                .text(parent, ns_uri, local, &format!("{path}/{local}"))?
                .map(Cow::Owned)),
        }
    }

    /// The items of the array element `n`: its element children named (`ns_uri`, `local`),
    /// their count checked against the limit, each with its path `path/local[i]` (from 1).
    pub fn items<'p>(
        &self,
        n: Node<'a>,
        ns_uri: &'static str,
        local: &'static str,
        path: &'p str,
    ) -> DResult<impl ExactSizeIterator<Item = (String, Node<'a>)> + use<'a, 'p>> {
        let items: Vec<_> = children(n, ns_uri, local).collect();
        let count = items.len();
        if count > self.limits.max_array_length {
            return Err(quota(format!(
                "{path}: {count} items exceed the maximum array length of {}",
                self.limits.max_array_length
            )));
        }
        Ok(items
            .into_iter()
            .enumerate()
            .map(move |(i, item)| (format!("{path}/{local}[{}]", i + 1), item)))
    }
}

/// XML whitespace.
pub(crate) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// `xsd:boolean` lexical forms.
pub(crate) fn parse_bool(t: &str) -> Option<bool> {
    match t.trim_matches(is_xml_space) {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// First element child of `parent` with expanded name (`ns_uri`, `local`).
pub(crate) fn child<'a>(parent: Node<'a>, ns_uri: &str, local: &str) -> Option<Node<'a>> {
    parent.children().find(|c| has_name(*c, ns_uri, local))
}

/// Element children of `parent` with expanded name (`ns_uri`, `local`).
pub(crate) fn children<'a>(
    parent: Node<'a>,
    ns_uri: &'a str,
    local: &'a str,
) -> impl Iterator<Item = Node<'a>> + 'a {
    parent
        .children()
        .filter(move |c| has_name(*c, ns_uri, local))
}

/// True when `n` is named (`ns_uri`, `local`); "" is no namespace.
pub(crate) fn has_name(n: Node<'_>, ns_uri: &str, local: &str) -> bool {
    let t = n.tag_name();
    t.name() == local && t.namespace().unwrap_or("") == ns_uri
}

/// `i:nil` is true.
pub(crate) fn is_nil(n: Node<'_>, path: &str) -> DResult<bool> {
    match n.attribute((ns::XSI, "nil")) {
        None => Ok(false),
        Some(v) => parse_bool(v).ok_or_else(|| invalid(path, v, "i:nil is not an xsd:boolean")),
    }
}

/// The concatenated text content of an element.
pub(crate) fn text_of(n: Node<'_>) -> String {
    n.text().to_owned()
}

/// Resolves a QName written in an attribute value of `n` (such as `i:type`) against the
/// namespaces in scope at `n`, including the default namespace for an unprefixed name.
pub(crate) fn resolve_qname(n: Node<'_>, value: &str, path: &str) -> DResult<(String, String)> {
    let value = value.trim_matches(is_xml_space);
    let (prefix, local) = match value.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, value),
    };
    if local.is_empty() || local.contains(':') || prefix.is_some_and(str::is_empty) {
        return Err(invalid(path, value, "not a QName"));
    }
    let uri = n.lookup_namespace_uri(prefix);
    match (prefix, uri) {
        (Some(p), None) => Err(invalid(
            path,
            value,
            format!("the prefix '{}' is not declared", clip(p)),
        )),
        (_, uri) => Ok((uri.unwrap_or("").to_owned(), local.to_owned())),
    }
}

/// The `i:type` of `n` as (namespace URI, local name), if any.
pub(crate) fn xsi_type(n: Node<'_>, path: &str) -> DResult<Option<(String, String)>> {
    n.attribute((ns::XSI, "type"))
        .map(|v| resolve_qname(n, v, path))
        .transpose()
}

/// Checks that the `i:type` of `n`, if present, is one of `accepted` (all in `ns_uri`);
/// returns the local name, or `declared` when there is none.
pub(crate) fn expect_type(
    n: Node<'_>,
    ns_uri: &str,
    declared: &'static str,
    accepted: &[&'static str],
    path: &str,
) -> DResult<&'static str> {
    match xsi_type(n, path)? {
        None => Ok(declared),
        Some((u, l)) => accepted
            .iter()
            .find(|a| u == ns_uri && **a == l)
            .copied()
            .ok_or_else(|| type_error(path, declared, &u, &l)),
    }
}

/// `IpamApiInvalidParameter`: "<path> is not of type <declared>: <qname>" (§3.19.4.3).
pub(crate) fn type_error(path: &str, declared: &str, ns_uri: &str, local: &str) -> IpamException {
    IpamException::new(
        IpamExceptionId::IpamApiInvalidParameter,
        format!(
            "{path} is not of type {declared}: {{{}}}{}",
            clip(ns_uri),
            clip(local)
        ),
    )
}

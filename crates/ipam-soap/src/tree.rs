//! The element tree the message reader works on: expanded names (namespace URI, local
//! name), attributes by expanded name, element children, the text of each element, and
//! the namespaces in scope for `i:type` QNames.
//!
//! It is built from a roxmltree document (XML text, after the reader quotas were checked
//! on it) or straight from XML events (a binary transport's decoded envelope) by
//! [`TreeBuilder`]. The builder accepts only what the text path would accept unchanged
//! and within the quotas, with conservative checks; anything else is
//! [`NotRepresentable`], and the caller takes the text path, which gives the fault.

use std::borrow::Cow;

use crate::limits::{Limits, NameTable, check_len};

const NONE: u32 = u32::MAX;
const XML_URI: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_URI: &str = "http://www.w3.org/2000/xmlns/";

/// Namespaces in scope: (prefix, URI), `None` for the default namespace.
type Scope<'a> = Vec<(Option<&'a str>, &'a str)>;

struct Element<'a> {
    ns: &'a str,
    local: &'a str,
    /// The text children, concatenated.
    text: Cow<'a, str>,
    attributes: (u32, u32),
    scope: u32,
    first_child: u32,
    next_sibling: u32,
    /// One past the last element of the subtree (elements are in document order).
    end: u32,
}

struct Attribute<'a> {
    ns: &'a str,
    local: &'a str,
    value: Cow<'a, str>,
}

/// A parsed message: elements in document order, the root first.
pub struct Document<'a> {
    elements: Vec<Element<'a>>,
    attributes: Vec<Attribute<'a>>,
    scopes: Vec<Scope<'a>>,
}

/// One element of a [`Document`].
#[derive(Clone, Copy)]
pub(crate) struct Node<'a> {
    doc: &'a Document<'a>,
    id: u32,
}

/// An expanded name.
pub(crate) struct Name<'a> {
    ns: &'a str,
    local: &'a str,
}

impl<'a> Name<'a> {
    /// The namespace URI, `None` for no namespace.
    pub fn namespace(&self) -> Option<&'a str> {
        Some(self.ns).filter(|n| !n.is_empty())
    }

    /// The local name.
    pub fn name(&self) -> &'a str {
        self.local
    }
}

impl<'a> Node<'a> {
    fn el(&self) -> &'a Element<'a> {
        &self.doc.elements[self.id as usize]
    }

    pub fn tag_name(&self) -> Name<'a> {
        let e = self.el();
        Name {
            ns: e.ns,
            local: e.local,
        }
    }

    /// The value of the attribute (`ns`, `local`); `""` is no namespace.
    pub fn attribute(&self, (ns, local): (&str, &str)) -> Option<&'a str> {
        let (start, end) = self.el().attributes;
        self.doc.attributes[start as usize..end as usize]
            .iter()
            .find(|a| a.local == local && a.ns == ns)
            .map(|a| &*a.value)
    }

    /// The element children.
    pub fn children(&self) -> impl Iterator<Item = Node<'a>> + use<'a> {
        let doc = self.doc;
        let mut next = self.el().first_child;
        std::iter::from_fn(move || {
            (next != NONE).then(|| {
                let n = Node { doc, id: next };
                next = n.el().next_sibling;
                n
            })
        })
    }

    /// This element and every element under it, in document order.
    pub fn descendants(&self) -> impl Iterator<Item = Node<'a>> + use<'a> {
        let doc = self.doc;
        (self.id..self.el().end).map(move |id| Node { doc, id })
    }

    /// The text children, concatenated.
    pub fn text(&self) -> &'a str {
        &self.el().text
    }

    /// The URI bound to `prefix` (`None`: the default namespace) at this element.
    pub fn lookup_namespace_uri(&self, prefix: Option<&str>) -> Option<&'a str> {
        self.doc.scopes[self.el().scope as usize]
            .iter()
            .find(|(p, _)| *p == prefix)
            .map(|(_, u)| *u)
    }
}

/// The tree under construction, names resolved.
struct Arena<'a> {
    doc: Document<'a>,
    /// Open elements, innermost last, with their last child so far.
    open: Vec<(u32, u32)>,
    roots: usize,
}

impl<'a> Arena<'a> {
    fn new() -> Self {
        // Room for a request of the operation protocol without growing (about 40
        // elements); a bigger one grows as usual.
        Arena {
            doc: Document {
                elements: Vec::with_capacity(64),
                attributes: Vec::with_capacity(32),
                scopes: vec![Vec::new()],
            },
            open: Vec::with_capacity(16),
            roots: 0,
        }
    }

    /// The scope of the innermost open element (the empty one outside).
    fn scope(&self) -> u32 {
        self.open
            .last()
            .map_or(0, |(id, _)| self.doc.elements[*id as usize].scope)
    }

    /// Opens an element whose attributes are those pushed since `attributes_from`.
    fn open(&mut self, ns: &'a str, local: &'a str, attributes_from: u32, scope: u32) {
        let id = self.doc.elements.len() as u32;
        match self.open.last_mut() {
            Some((parent, last)) => {
                if *last == NONE {
                    self.doc.elements[*parent as usize].first_child = id;
                } else {
                    self.doc.elements[*last as usize].next_sibling = id;
                }
                *last = id;
            }
            None => self.roots += 1,
        }
        self.doc.elements.push(Element {
            ns,
            local,
            text: Cow::Borrowed(""),
            attributes: (attributes_from, self.doc.attributes.len() as u32),
            scope,
            first_child: NONE,
            next_sibling: NONE,
            end: NONE,
        });
        self.open.push((id, NONE));
    }

    fn close(&mut self) -> bool {
        let Some((id, _)) = self.open.pop() else {
            return false;
        };
        self.doc.elements[id as usize].end = self.doc.elements.len() as u32;
        true
    }

    /// Appends text to the innermost open element, if any.
    fn text(&mut self, text: Cow<'a, str>) {
        if let Some((id, _)) = self.open.last() {
            let t = &mut self.doc.elements[*id as usize].text;
            if t.is_empty() {
                *t = text;
            } else if !text.is_empty() {
                t.to_mut().push_str(&text);
            }
        }
    }
}

impl<'a> Document<'a> {
    /// The root element.
    pub(crate) fn root(&'a self) -> Node<'a> {
        Node { doc: self, id: 0 }
    }

    /// The tree of a roxmltree document.
    pub(crate) fn from_roxmltree(doc: &'a roxmltree::Document<'_>) -> Self {
        let mut arena = Arena::new();
        let mut parents: Vec<roxmltree::NodeId> = Vec::new();
        for n in doc.root().descendants() {
            let parent = n.parent().map(|p| p.id());
            while parents.last().is_some_and(|id| Some(*id) != parent) {
                parents.pop();
                arena.close();
            }
            if n.is_text() {
                arena.text(Cow::Borrowed(n.text().unwrap_or("")));
                continue;
            }
            if !n.is_element() {
                continue;
            }
            let from = arena.doc.attributes.len() as u32;
            arena
                .doc
                .attributes
                .extend(n.attributes().map(|a| Attribute {
                    ns: a.namespace().unwrap_or(""),
                    local: a.name(),
                    value: Cow::Borrowed(a.value()),
                }));
            let inherited = arena.scope();
            let same = {
                let scope = &arena.doc.scopes[inherited as usize];
                let mut namespaces = n.namespaces();
                namespaces.len() == scope.len()
                    && scope
                        .iter()
                        .zip(&mut namespaces)
                        .all(|((p, u), ns)| *p == ns.name() && *u == ns.uri())
            };
            let scope = if same {
                inherited
            } else {
                arena
                    .doc
                    .scopes
                    .push(n.namespaces().map(|ns| (ns.name(), ns.uri())).collect());
                arena.doc.scopes.len() as u32 - 1
            };
            let t = n.tag_name();
            arena.open(t.namespace().unwrap_or(""), t.name(), from, scope);
            parents.push(n.id());
        }
        while arena.close() {}
        arena.doc
    }
}

/// The events cannot be read without the text path: it may fault on them, or they break
/// (or come near) a reader quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotRepresentable;

type Built = Result<(), NotRepresentable>;

fn require(ok: bool) -> Built {
    if ok { Ok(()) } else { Err(NotRepresentable) }
}

/// An ASCII XML name without a colon (a non-ASCII name takes the text path).
fn is_ncname(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

/// The length of `s` escaped as XML text (in an attribute value when `attribute`), as
/// the text form of binary XML writes it; `None` for characters XML cannot carry.
fn escaped_len(s: &str, attribute: bool) -> Option<usize> {
    let b = s.as_bytes();
    // Most text is written as it is: one branch-free pass over the bytes says so.
    let special = b.iter().fold(false, |any, &c| {
        any | (c < 0x20) | (c == b'&') | (c == b'<') | (c == b'>') | (c == b'"') | (c == 0xEF)
    });
    if !special {
        return Some(b.len());
    }
    let mut extra = 0usize;
    for (i, &c) in b.iter().enumerate() {
        extra += match c {
            b'&' => 4,
            b'<' | b'>' => 3,
            b'\r' => 4,
            b'"' if attribute => 5,
            b'\t' if attribute => 3,
            b'\n' if attribute => 4,
            b'\t' | b'\n' => 0,
            0..=0x1F => return None,
            // U+FFFE and U+FFFF.
            0xEF if b.get(i + 1) == Some(&0xBF) && matches!(b.get(i + 2), Some(0xBE | 0xBF)) => {
                return None;
            }
            _ => 0,
        };
    }
    Some(b.len() + extra)
}

fn qname_len(prefix: &str, local: &str) -> usize {
    if prefix.is_empty() {
        local.len()
    } else {
        prefix.len() + 1 + local.len()
    }
}

/// The URI `prefix` is bound to in `scope` (no namespace for no prefix).
fn resolve<'a>(scope: &Scope<'a>, prefix: &str) -> Result<&'a str, NotRepresentable> {
    let p = Some(prefix).filter(|p| !p.is_empty());
    match scope.iter().find(|(q, _)| *q == p) {
        Some((_, u)) => Ok(u),
        None if prefix.is_empty() => Ok(""),
        None => Err(NotRepresentable),
    }
}

/// The start tag being read: its names as written. Its attribute and declaration lists are kept from one tag
/// to the next (cleared, not freed): most elements of a request have none, and the
/// others would each allocate and grow their own.
#[derive(Default)]
struct StartTag<'a> {
    /// The tag's `(prefix, local)` while one is open.
    name: Option<(&'a str, &'a str)>,
    attributes: Vec<(&'a str, &'a str, Cow<'a, str>)>,
    declarations: Vec<(&'a str, &'a str)>,
}

/// Builds a [`Document`] from XML events (names as written, declarations apart, values
/// unescaped), as long as the XML text of those events would parse to the same tree and
/// pass every reader quota; see [`NotRepresentable`].
pub struct TreeBuilder<'a> {
    arena: Arena<'a>,
    limits: &'a Limits,
    tag: StartTag<'a>,
    /// Prefixes of the open elements, innermost last.
    prefixes: Vec<&'a str>,
    /// Where the text run being read starts in the innermost element's text.
    run: Option<usize>,
    /// The length of the XML text form so far.
    text_len: usize,
    /// Element and attribute names as written, and `xmlns:p` / `xmlns` for declared
    /// prefixes.
    names: NameTable<(&'a str, &'a str)>,
}

impl<'a> TreeBuilder<'a> {
    /// A builder that checks the reader quotas of `limits`.
    pub fn new(limits: &'a Limits) -> Self {
        TreeBuilder {
            arena: Arena::new(),
            limits,
            tag: StartTag::default(),
            prefixes: Vec::with_capacity(16),
            run: None,
            text_len: 0,
            names: NameTable::new(),
        }
    }

    fn string(&self, s: &str) -> Built {
        require(check_len(s, self.limits).is_ok())
    }

    /// Counts `prefix:local` (`local` for no prefix) in the name table.
    fn name(&mut self, name: (&'a str, &'a str)) -> Built {
        let max = self.limits.max_name_table_chars;
        self.names.add(name, max);
        require(!self.names.exceeds(0, max))
    }

    fn grow(&mut self, len: usize) -> Built {
        self.text_len += len;
        require(self.text_len <= self.limits.max_message_size)
    }

    /// Ends the text run being read: one text node of the text form.
    fn end_run(&mut self) -> Built {
        if let Some(start) = self.run.take()
            && let Some((id, _)) = self.arena.open.last()
        {
            let text = &self.arena.doc.elements[*id as usize].text;
            self.string(&text[start..])?;
        }
        Ok(())
    }

    /// Closes the start tag being read: resolves its names and opens the element.
    fn end_tag(&mut self) -> Built {
        let Some((prefix, local)) = self.tag.name.take() else {
            return Ok(());
        };
        self.grow(1)?;
        let inherited = self.arena.scope();
        let scope = if self.tag.declarations.is_empty() {
            inherited
        } else {
            let mut scope = self.arena.doc.scopes[inherited as usize].clone();
            for (p, u) in self.tag.declarations.drain(..) {
                let p = Some(p).filter(|p| !p.is_empty());
                scope.retain(|(q, _)| *q != p);
                scope.push((p, u));
            }
            self.arena.doc.scopes.push(scope);
            self.arena.doc.scopes.len() as u32 - 1
        };
        let in_scope = &self.arena.doc.scopes[scope as usize];
        let ns = resolve(in_scope, prefix)?;
        let from = self.arena.doc.attributes.len();
        for (p, l, v) in self.tag.attributes.drain(..) {
            let ns = if p.is_empty() {
                ""
            } else {
                resolve(in_scope, p)?
            };
            let attributes = &mut self.arena.doc.attributes;
            require(
                !attributes[from..]
                    .iter()
                    .any(|a| a.local == l && a.ns == ns),
            )?;
            attributes.push(Attribute {
                ns,
                local: l,
                value: v,
            });
        }
        require(self.arena.open.len() < self.limits.max_depth)?;
        self.arena.open(ns, local, from as u32, scope);
        self.prefixes.push(prefix);
        Ok(())
    }

    /// Everything but an attribute or a declaration ends the start tag and the text run.
    fn content(&mut self) -> Built {
        self.end_tag()?;
        self.end_run()
    }

    /// A start tag `<prefix:local`.
    pub fn start_element(&mut self, prefix: &'a str, local: &'a str) -> Built {
        self.content()?;
        // One root element, no prefix the text path treats apart.
        require(self.arena.roots == 0 || !self.arena.open.is_empty())?;
        require(is_ncname(local) && local != "xmlns")?;
        require(prefix.is_empty() || (is_ncname(prefix) && prefix != "xml" && prefix != "xmlns"))?;
        self.name((prefix, local))?;
        self.grow(1 + qname_len(prefix, local))?;
        self.tag.name = Some((prefix, local));
        self.tag.attributes.clear();
        self.tag.declarations.clear();
        Ok(())
    }

    /// The start tag being read, if one is.
    fn tag(&mut self) -> Result<&mut StartTag<'a>, NotRepresentable> {
        match self.tag.name {
            Some(_) => Ok(&mut self.tag),
            None => Err(NotRepresentable),
        }
    }

    /// An attribute of the start tag.
    pub fn attribute(&mut self, prefix: &'a str, local: &'a str, value: Cow<'a, str>) -> Built {
        require(is_ncname(local) && (prefix.is_empty() || is_ncname(prefix)))?;
        require(prefix != "xmlns" && !(prefix.is_empty() && local == "xmlns"))?;
        // `xml:` attributes resolve to the XML namespace; not declared anywhere.
        require(prefix != "xml")?;
        let len = escaped_len(&value, true).ok_or(NotRepresentable)?;
        self.string(&value)?;
        self.name((prefix, local))?;
        self.grow(qname_len(prefix, local) + 4 + len)?;
        let tag = self.tag()?;
        require(
            !tag.attributes
                .iter()
                .any(|(p, l, _)| *p == prefix && *l == local),
        )?;
        tag.attributes.push((prefix, local, value));
        Ok(())
    }

    /// A namespace declaration of the start tag (`""`: the default namespace).
    pub fn namespace(&mut self, prefix: &'a str, uri: &'a str) -> Built {
        require(prefix.is_empty() || (is_ncname(prefix) && prefix != "xml" && prefix != "xmlns"))?;
        require(uri != XML_URI && uri != XMLNS_URI && (prefix.is_empty() || !uri.is_empty()))?;
        let len = escaped_len(uri, true).ok_or(NotRepresentable)?;
        self.string(uri)?;
        // `xmlns:p` or `xmlns`, names no element or attribute has here.
        self.name(if prefix.is_empty() {
            ("", "xmlns")
        } else {
            ("xmlns", prefix)
        })?;
        self.grow(
            if prefix.is_empty() {
                9
            } else {
                10 + prefix.len()
            } + len,
        )?;
        let tag = self.tag()?;
        require(!tag.declarations.iter().any(|(p, _)| *p == prefix))?;
        tag.declarations.push((prefix, uri));
        Ok(())
    }

    /// Character content.
    pub fn text(&mut self, text: Cow<'a, str>) -> Built {
        self.end_tag()?;
        let len = escaped_len(&text, false).ok_or(NotRepresentable)?;
        self.grow(len)?;
        let (id, _) = self.arena.open.last().ok_or(NotRepresentable)?;
        let start = self.arena.doc.elements[*id as usize].text.len();
        self.run.get_or_insert(start);
        self.arena.text(text);
        Ok(())
    }

    /// The end of the innermost element.
    pub fn end_element(&mut self) -> Built {
        self.content()?;
        let prefix = self.prefixes.pop().ok_or(NotRepresentable)?;
        let local = self.arena.doc.elements
            [self.arena.open.last().ok_or(NotRepresentable)?.0 as usize]
            .local;
        self.grow(3 + qname_len(prefix, local))?;
        require(self.arena.close())
    }

    /// The document, once every element is closed.
    pub fn finish(mut self) -> Result<Document<'a>, NotRepresentable> {
        self.content()?;
        require(self.arena.roots == 1 && self.arena.open.is_empty())?;
        Ok(self.arena.doc)
    }
}

#[cfg(test)]
mod tests {
    use super::escaped_len;

    #[test]
    fn escaped_len_counts_what_the_text_form_writes() {
        assert_eq!(escaped_len("", false), Some(0));
        assert_eq!(escaped_len("10.0.0.1", false), Some(8));
        assert_eq!(escaped_len("é and ü", false), Some("é and ü".len()));
        assert_eq!(escaped_len("a&b", false), Some(7));
        assert_eq!(escaped_len("<a>", false), Some(9));
        assert_eq!(escaped_len("a\"b", false), Some(3));
        assert_eq!(escaped_len("a\"b", true), Some(8));
        assert_eq!(escaped_len("a\tb\nc", false), Some(5));
        assert_eq!(escaped_len("a\tb\nc", true), Some(12));
        assert_eq!(escaped_len("a\rb", false), Some(7));
        assert_eq!(escaped_len("a\u{1}b", false), None);
        assert_eq!(escaped_len("a\u{FFFE}", false), None);
        assert_eq!(escaped_len("a\u{FFFF}", true), None);
        // Other characters starting with the byte 0xEF are plain.
        assert_eq!(escaped_len("\u{FFFD}", false), Some(3));
        assert_eq!(escaped_len("\u{F000}", false), Some(3));
    }
}

//! The editable form of a document: a YAML node tree that remembers how each scalar was
//! written (so it can be written back with the same meaning) and the comments around entries.

use compact_str::CompactString;
use serde_json::{Map, Number, Value};

use super::resolve::{plain_is_surely_text, plain_is_unambiguous, resolve_plain};

/// How a scalar was written in the source (or should be written, for new scalars).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    /// Unquoted: YAML 1.1 readers resolve it (`on` is true, `0755` is octal).
    Plain,
    /// `'...'`.
    SingleQuoted,
    /// `"..."`, with escapes.
    DoubleQuoted,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
}

/// A scalar: its text and how it was (or is to be) written.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// The scalar's content after YAML escape processing and folding (kept inline, without
    /// an allocation, up to 24 bytes: most keys and values of a manifest).
    pub text: CompactString,
    /// How it is written.
    pub style: ScalarStyle,
}

/// Comments that belong to one mapping entry or sequence item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comments {
    /// Own-line comments written above the entry (text after `#`).
    pub above: Vec<String>,
    /// A comment at the end of the entry's first line.
    pub right: Option<String>,
}

/// No comments, for an entry or item that has none.
static NO_COMMENTS: Comments = Comments {
    above: Vec::new(),
    right: None,
};

impl Comments {
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.above.is_empty() && self.right.is_none()
    }

    /// The form an [`Entry`] or [`Item`] keeps: `None` when there are none.
    pub fn boxed(self) -> Option<Box<Comments>> {
        (!self.is_empty()).then(|| Box::new(self))
    }

    /// The comments of an entry or item (empty ones for `None`).
    pub fn of(comments: &Option<Box<Comments>>) -> &Comments {
        comments.as_deref().unwrap_or(&NO_COMMENTS)
    }
}

/// One entry of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, as written.
    pub key: Node,
    /// The value, as written.
    pub value: Node,
    /// The comments above the entry and at the end of its first line; `None` for none (most
    /// entries: boxed, so that an entry without comments stays small).
    pub comments: Option<Box<Comments>>,
}

/// One item of a sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The item, as written.
    pub value: Node,
    /// The comments above the item and at the end of its first line; `None` for none.
    pub comments: Option<Box<Comments>>,
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A scalar.
    Scalar(Scalar),
    /// A mapping's entries, in the order written (duplicate keys kept: readers take the last).
    Mapping(Vec<Entry>),
    /// A sequence's items, in order.
    Sequence(Vec<Item>),
}

/// A YAML node that remembers how it was written (scalar styles, tags, comments), so a changed
/// document is re-written with its untouched parts as they were.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// A scalar with its written form, a mapping's entries or a sequence's items.
    pub content: Content,
    /// An explicit tag as it must be written (`!!str`, `!custom`), if any.
    pub tag: Option<Box<str>>,
    /// Own-line comments after the last entry or item of a collection.
    pub trailing: Box<[String]>,
    /// Where the node is written in the text it was read from; `None` for nodes the tool
    /// made (a collection the tool changed keeps where it was read).
    pub written: Option<Written>,
}

/// Where a node is written in the text it was read from (byte offsets into that text, which
/// is at most 4 GiB: [`Limits::max_bytes`](super::Limits::max_bytes) is capped there, so
/// that positions fit in 32 bits and a node stays small).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Offset of the node's first character (a block collection's first key or dash).
    pub start: u32,
    /// Offset just past its last character: of its last descendant for a block
    /// collection, of the closing bracket for a flow one.
    pub end: u32,
    /// 1-based line of `start`.
    pub line: u32,
    /// 0-based column (in characters) of `start`.
    pub column: u32,
    /// A collection written in flow style (`{...}`, `[...]`).
    pub flow: bool,
    /// Offset of a flow collection's closing bracket (`end` otherwise).
    pub close: u32,
    /// Written as an alias (`*name`): the node is a copy of the anchored one, whose own
    /// nodes keep the anchor's positions.
    pub alias: bool,
}

/// An offset, line or column as a node keeps it: the input is at most 4 GiB (the cap of
/// [`Limits::max_bytes`](super::Limits::max_bytes)), so it fits.
pub(super) fn position(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Node {
    /// A node of `content` with no tag and no trailing comments.
    pub fn new(content: Content) -> Self {
        Node {
            content,
            tag: None,
            trailing: Box::default(),
            written: None,
        }
    }

    /// Moves where this node and those inside it are written by `offset` bytes and `lines`
    /// lines (a tree read from a part of a text, placed in the whole; `lines` is negative
    /// only to correct an earlier move).
    pub(super) fn move_written(&mut self, offset: usize, lines: i64) {
        let lines = i32::try_from(lines).unwrap_or(if lines < 0 { i32::MIN } else { i32::MAX });
        self.move_by(position(offset), lines);
    }

    fn move_by(&mut self, offset: u32, lines: i32) {
        if let Some(w) = &mut self.written {
            w.start += offset;
            w.end += offset;
            w.close += offset;
            w.line = w.line.wrapping_add_signed(lines);
        }
        match &mut self.content {
            Content::Scalar(_) => {}
            Content::Mapping(entries) => {
                for e in entries {
                    e.key.move_by(offset, lines);
                    e.value.move_by(offset, lines);
                }
            }
            Content::Sequence(items) => {
                for i in items {
                    i.value.move_by(offset, lines);
                }
            }
        }
    }

    /// The node's meaning as Kubernetes reads it, as JSON.
    pub fn to_json(&self) -> Value {
        match &self.content {
            Content::Scalar(s) => self.scalar_to_json(s),
            Content::Sequence(items) => {
                Value::Array(items.iter().map(|i| i.value.to_json()).collect())
            }
            Content::Mapping(entries) => {
                let mut explicit = Map::new();
                let mut merged = Map::new();
                for e in entries {
                    match e
                        .key
                        .is_merge_key()
                        .then(|| merge_sources(&e.value))
                        .flatten()
                    {
                        Some(sources) => {
                            // `<<: *base` or `<<: [*a, *b]`: keys not set yet, earlier first.
                            for (k, v) in sources {
                                merged.entry(k).or_insert(v);
                            }
                        }
                        None => {
                            if let Some(k) = e.key.json_key() {
                                explicit.insert(k, e.value.to_json());
                            }
                        }
                    }
                }
                if merged.is_empty() {
                    return Value::Object(explicit);
                }
                // As YAML 1.1 readers build it: merged keys, then the mapping's own, which win.
                merged.retain(|k, _| !explicit.contains_key(k));
                merged.extend(explicit);
                Value::Object(merged)
            }
        }
    }

    /// A YAML 1.1 merge key (`<<`, plain or tagged `!!merge`), as go-yaml, Helm and
    /// PyYAML read it.
    pub(super) fn is_merge_key(&self) -> bool {
        match &self.content {
            Content::Scalar(s) => {
                s.text == "<<"
                    && match self.tag.as_deref() {
                        None => s.style == ScalarStyle::Plain,
                        Some(tag) => tag == "!!merge" || tag == "tag:yaml.org,2002:merge",
                    }
            }
            _ => false,
        }
    }

    fn scalar_to_json(&self, s: &Scalar) -> Value {
        scalar_json(&s.text, s.style, self.tag.as_deref())
    }

    /// The JSON object key this node stands for, the way YAML-to-JSON conversion names it
    /// (`on:` is the key "true"); `None` for keys that are collections.
    pub fn json_key(&self) -> Option<String> {
        if let (Content::Scalar(s), None) = (&self.content, &self.tag)
            && (s.style != ScalarStyle::Plain || plain_is_surely_text(&s.text))
        {
            return Some(s.text.to_string());
        }
        json_key_of(self.to_json())
    }

    /// [`Node::json_key`], borrowing the key's text when it is the key.
    pub fn json_key_cow(&self) -> Option<std::borrow::Cow<'_, str>> {
        if let (Content::Scalar(s), None) = (&self.content, &self.tag)
            && (s.style != ScalarStyle::Plain || plain_is_surely_text(&s.text))
        {
            return Some(std::borrow::Cow::Borrowed(&s.text));
        }
        json_key_of(self.to_json()).map(std::borrow::Cow::Owned)
    }

    /// A new node for a JSON value, written so that every YAML reader reads the same value.
    pub fn from_json(value: &Value) -> Node {
        let content = match value {
            Value::Null => plain("null"),
            Value::Bool(b) => plain(if *b { "true" } else { "false" }),
            Value::Number(n) => plain(&number_text(n)),
            Value::String(s) => new_string(s),
            Value::Array(items) => Content::Sequence(
                items
                    .iter()
                    .map(|v| Item {
                        value: Node::from_json(v),
                        comments: None,
                    })
                    .collect(),
            ),
            Value::Object(map) => Content::Mapping(
                map.iter()
                    .map(|(k, v)| Entry {
                        key: Node::new(new_string(k)),
                        value: Node::from_json(v),
                        comments: None,
                    })
                    .collect(),
            ),
        };
        Node::new(content)
    }

    /// The node a JSON pointer designates, if it exists.
    pub fn pointer_mut(&mut self, tokens: &[String]) -> Option<&mut Node> {
        let mut node = self;
        for token in tokens {
            node = node.child_mut(token)?;
        }
        Some(node)
    }

    /// The node a JSON pointer (as unescaped tokens) designates, if it exists.
    pub fn pointer(&self, tokens: &[String]) -> Option<&Node> {
        let mut node = self;
        for token in tokens {
            node = node.child(token)?;
        }
        Some(node)
    }

    /// The value of a mapping's entry whose key reads as `token` (the last one, as readers
    /// take it), or a list's item at the index `token`.
    pub fn child(&self, token: &str) -> Option<&Node> {
        match &self.content {
            Content::Mapping(entries) => entries
                .iter()
                .rev()
                .find(|e| e.key.is_key(token) && !e.key.is_merge_key())
                .map(|e| &e.value),
            Content::Sequence(items) => {
                let index = parse_index(token)?;
                items.get(index).map(|i| &i.value)
            }
            Content::Scalar(_) => None,
        }
    }

    /// The JSON value at a JSON pointer (as unescaped tokens), as [`Node::to_json`] would
    /// give it, converting only the subtree found (and a mapping with merge keys on the way).
    pub fn json_at(&self, tokens: &[String]) -> Option<Value> {
        let mut node = self;
        for (i, token) in tokens.iter().enumerate() {
            if node.has_merge_key() {
                let mut value = node.to_json();
                for token in &tokens[i..] {
                    value = match value {
                        Value::Object(mut map) => map.shift_remove(token.as_str())?,
                        Value::Array(mut items) => {
                            let index = parse_index(token).filter(|i| *i < items.len())?;
                            items.swap_remove(index)
                        }
                        _ => return None,
                    };
                }
                return Some(value);
            }
            node = node.child(token)?;
        }
        Some(node.to_json())
    }

    /// Whether this is a mapping with a merge key (`<<`), whose JSON view holds more than
    /// its own entries.
    pub fn has_merge_key(&self) -> bool {
        matches!(&self.content, Content::Mapping(entries) if entries.iter().any(|e| e.key.is_merge_key()))
    }

    /// Whether this key node reads as the JSON object key `token` (`on` reads as "true"):
    /// a string key compares its text, anything else its JSON key.
    pub fn is_key(&self, token: &str) -> bool {
        if let (Content::Scalar(s), None) = (&self.content, &self.tag) {
            if s.style != ScalarStyle::Plain {
                return s.text == token;
            }
            // A plain key reads as its text unless YAML resolves it (`on`, `1.0`, `~`).
            if plain_is_surely_text(&s.text) {
                return s.text == token;
            }
        }
        self.json_key().as_deref() == Some(token)
    }

    fn child_mut(&mut self, token: &str) -> Option<&mut Node> {
        match &mut self.content {
            Content::Mapping(entries) => entries
                .iter_mut()
                .rev()
                .find(|e| e.key.is_key(token))
                .map(|e| &mut e.value),
            Content::Sequence(items) => {
                let index = parse_index(token)?;
                items.get_mut(index).map(|i| &mut i.value)
            }
            Content::Scalar(_) => None,
        }
    }
}

/// The JSON value of a scalar written `text` in `style` with an explicit `tag` (as
/// `build::tag_text` spells it), as Kubernetes reads it.
pub fn scalar_json(text: &str, style: ScalarStyle, tag: Option<&str>) -> Value {
    match tag {
        Some("!!str") | Some("!!binary") | Some("!!timestamp") => Value::String(text.to_owned()),
        Some("!!int") | Some("!!float") | Some("!!bool") | Some("!!null") => resolve_plain(text),
        _ if style == ScalarStyle::Plain => resolve_plain(text),
        _ => Value::String(text.to_owned()),
    }
}

/// The JSON object key a key node's value stands for; `None` for collections.
pub fn json_key_of(value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        Value::Null => Some("null".to_owned()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn plain(text: &str) -> Content {
    Content::Scalar(Scalar {
        text: text.into(),
        style: ScalarStyle::Plain,
    })
}

fn number_text(n: &Number) -> String {
    if n.is_f64() && !n.to_string().contains(['.', 'e', 'E']) {
        format!("{n}.0")
    } else {
        n.to_string()
    }
}

/// A new string scalar, written as [`new_string_style`] says.
fn new_string(s: &str) -> Content {
    Content::Scalar(Scalar {
        text: s.into(),
        style: new_string_style(s),
    })
}

fn new_string_style(s: &str) -> ScalarStyle {
    if plain_is_unambiguous(s) {
        ScalarStyle::Plain
    } else if s.contains('\n') {
        ScalarStyle::Literal
    } else {
        ScalarStyle::DoubleQuoted
    }
}

/// A JSON pointer array index: digits only, no leading zero.
pub fn parse_index(token: &str) -> Option<usize> {
    if token.is_empty() || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    if !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

/// The entries a merge key brings in: from one mapping, or from a sequence of mappings
/// (earlier ones win). `None` when the value is neither: the key is then an ordinary `<<`.
fn merge_sources(value: &Node) -> Option<Map<String, Value>> {
    let maps: Vec<&Node> = match &value.content {
        Content::Mapping(_) => vec![value],
        Content::Sequence(items) => items.iter().map(|i| &i.value).collect(),
        Content::Scalar(_) => return None,
    };
    let mut entries = Map::new();
    for map in maps {
        let Value::Object(object) = map.to_json() else {
            return None;
        };
        for (k, v) in object {
            entries.entry(k).or_insert(v);
        }
    }
    Some(entries)
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Trees of changed documents are built, moved and freed by the thousand: an entry
    /// without comments is kept small (comments boxed, 32-bit positions, scalars inline up
    /// to 24 bytes). A field added to `Node` shows here.
    #[test]
    fn nodes_stay_small() {
        assert_eq!(std::mem::size_of::<Option<Written>>(), 24);
        assert!(
            std::mem::size_of::<Node>() <= 88,
            "{}",
            std::mem::size_of::<Node>()
        );
        assert!(
            std::mem::size_of::<Entry>() <= 184,
            "{}",
            std::mem::size_of::<Entry>()
        );
    }
}

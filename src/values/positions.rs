//! Where each value of a values file is written: an index from JSON pointer
//! (`/smi/cloud/aws/buckets/filesvc`) to line and column, so that a problem found in the
//! merged values can be shown at the place in the file that set it.

use std::collections::HashMap;

use granit_parser::{Event, Options, Parser, ScalarStyle, Span, Tag};
use serde_json::Value;

use crate::stream::resolve_plain;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub const START: Position = Position { line: 1, column: 1 };
}

/// Where one node is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The key of the entry, for a mapping value.
    pub key: Option<Position>,
    /// The value itself.
    pub value: Position,
    /// The value as written, for scalars (quotes included), cut to a readable length.
    pub source: Option<String>,
}

/// JSON pointer -> where the node is written, for one file.
#[derive(Debug, Clone, Default)]
pub struct PositionIndex {
    nodes: HashMap<String, Written>,
}

impl PositionIndex {
    /// Indexes `text`, which has already been read successfully (syntax and limits are
    /// checked there); on any parser error the index is simply left partial.
    pub fn build(text: &str, max_depth: usize) -> PositionIndex {
        let mut options = Options::default();
        options.set_emit_comments(false);
        options.block_nesting_limit = max_depth;
        options.flow_nesting_limit = max_depth;
        let mut walker = Walker {
            text,
            index: PositionIndex::default(),
            stack: Vec::new(),
        };
        for next in Parser::new_from_str_with_options(text, options) {
            let Ok((event, span)) = next else { break };
            walker.event(event, &span);
        }
        walker.index
    }

    /// Where the node at `pointer` is written, if this file writes it.
    pub fn get(&self, pointer: &str) -> Option<&Written> {
        self.nodes.get(pointer)
    }
}

struct Walker<'a> {
    text: &'a str,
    index: PositionIndex,
    stack: Vec<Frame>,
}

/// An open collection; `pointer` is None below a key JSON cannot name (a collection used
/// as a key), where nothing is indexed.
enum Frame {
    Mapping {
        pointer: Option<String>,
        /// The key read, waiting for its value: (JSON key, where the key is).
        key: Option<(Option<String>, Position)>,
    },
    Sequence {
        pointer: Option<String>,
        next: usize,
    },
}

const SOURCE_CHARS: usize = 80;

impl Walker<'_> {
    fn event(&mut self, event: Event<'_>, span: &Span) {
        let at = position(span);
        match event {
            Event::Scalar(text, style, _, tag) => {
                if self.expecting_key() {
                    self.key(json_key(&text, style, tag.as_deref()), at);
                } else {
                    let source = self.source_text(span);
                    self.node(at, source);
                }
            }
            // A key that is an alias has no JSON name that can be known here.
            Event::Alias(_) if self.expecting_key() => self.key(None, at),
            Event::Alias(_) => {
                self.node(at, None);
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let pointer = if self.expecting_key() {
                    self.key(None, at);
                    None
                } else {
                    self.node(at, None)
                };
                self.stack.push(match event {
                    Event::MappingStart(..) => Frame::Mapping { pointer, key: None },
                    _ => Frame::Sequence { pointer, next: 0 },
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Mapping { key: None, .. }))
    }

    fn key(&mut self, name: Option<String>, at: Position) {
        if let Some(Frame::Mapping { key, .. }) = self.stack.last_mut() {
            *key = Some((name, at));
        }
    }

    /// Records a node at the current place and returns its pointer (None where nothing can
    /// be named).
    fn node(&mut self, value: Position, source: Option<String>) -> Option<String> {
        let (pointer, key) = match self.stack.last_mut() {
            None => (Some(String::new()), None),
            Some(Frame::Mapping { pointer, key }) => {
                let (name, at) = key.take()?;
                (
                    pointer.as_deref().zip(name).map(|(p, n)| child(p, &n)),
                    Some(at),
                )
            }
            Some(Frame::Sequence { pointer, next }) => {
                let index = *next;
                *next += 1;
                (
                    pointer.as_deref().map(|p| child(p, &index.to_string())),
                    None,
                )
            }
        };
        let pointer = pointer?;
        self.index
            .nodes
            .insert(pointer.clone(), Written { key, value, source });
        Some(pointer)
    }

    fn source_text(&self, span: &Span) -> Option<String> {
        let start = span.start.byte_offset()?;
        let end = span.end.byte_offset()?;
        let raw = self.text.get(start..end)?;
        let first_line = raw.lines().next().unwrap_or_default();
        let mut shown: String = first_line.chars().take(SOURCE_CHARS).collect();
        if shown.len() < raw.len() {
            shown.push('…');
        }
        Some(shown)
    }
}

fn position(span: &Span) -> Position {
    Position {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// The JSON object key a scalar key stands for, as the values reader names it (`on:` is
/// the key "true" for Helm's YAML 1.1 reader).
fn json_key(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Option<String> {
    let is_str_tag = tag.is_some_and(|t| t.handle() == "tag:yaml.org,2002:" && t.suffix() == "str");
    let value = if style == ScalarStyle::Plain && !is_str_tag {
        resolve_plain(text)
    } else {
        Value::String(text.to_owned())
    };
    crate::stream::json_key_of(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(index: &PositionIndex, pointer: &str) -> (usize, usize) {
        let w = index
            .get(pointer)
            .unwrap_or_else(|| panic!("{pointer} not indexed"));
        (w.value.line, w.value.column)
    }

    #[test]
    fn values_keys_and_items_are_found_where_they_are_written() {
        let text = "smi:\n  dns:\n    app: a.example.com\n  kafka:\n    bootstrap:\n      - b1:9092\n      - 'b2:9092'\n  flow: {x: 1, z: [2, 3]}\n";
        let index = PositionIndex::build(text, 64);
        assert_eq!(at(&index, "/smi/dns/app"), (3, 10));
        let app = index.get("/smi/dns/app").unwrap();
        assert_eq!(app.key, Some(Position { line: 3, column: 5 }));
        assert_eq!(app.source.as_deref(), Some("a.example.com"));
        assert_eq!(at(&index, "/smi/kafka/bootstrap/1"), (7, 9));
        assert_eq!(
            index
                .get("/smi/kafka/bootstrap/1")
                .unwrap()
                .source
                .as_deref(),
            Some("'b2:9092'")
        );
        assert_eq!(at(&index, "/smi/flow/z/1"), (8, 23));
        assert_eq!(
            index.get("/smi/dns").unwrap().key,
            Some(Position { line: 2, column: 3 })
        );
    }

    #[test]
    fn keys_are_named_as_helm_reads_them() {
        let index = PositionIndex::build("on: 1\n'off': 2\n0x1F: 3\na/b: 4\n", 64);
        assert!(index.get("/true").is_some());
        assert!(index.get("/off").is_some());
        assert!(index.get("/31").is_some());
        assert!(index.get("/a~1b").is_some());
    }

    #[test]
    fn collections_as_keys_index_nothing_below_them() {
        let index = PositionIndex::build("? [a, b]\n: {c: 1}\nd: 2\n", 64);
        assert!(index.get("/c").is_none());
        assert_eq!(at(&index, "/d"), (3, 4));
    }
}

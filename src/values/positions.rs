//! Where each value of a values file is written: an index from JSON pointer
//! (`/smi/cloud/aws/buckets/filesvc`) to line and column, so that a problem found in the
//! merged values can be shown at the place in the file that set it. Read off the file's
//! tree, which remembers where each node is written: the file is parsed once.

use std::collections::HashMap;

use crate::stream::{self, Content, Node};

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
    /// Indexes the tree of a values file as read from `text` (the tree remembers where each
    /// node is written, so nothing is parsed again). Nothing is indexed below an alias or a
    /// key JSON cannot name (a collection used as a key).
    pub fn new(text: &str, root: Option<&Node>) -> PositionIndex {
        let mut index = PositionIndex::default();
        if let Some(root) = root {
            index.visit(text, root, String::new(), None);
        }
        index
    }

    /// Where the node at `pointer` is written, if this file writes it.
    pub fn get(&self, pointer: &str) -> Option<&Written> {
        self.nodes.get(pointer)
    }

    fn visit(&mut self, text: &str, node: &Node, pointer: String, key: Option<Position>) {
        let Some(at) = node.written else {
            return;
        };
        let source = match node.content {
            Content::Scalar(_) if !at.alias => {
                source_text(text, at.start as usize, at.end as usize)
            }
            _ => None,
        };
        self.nodes.insert(
            pointer.clone(),
            Written {
                key,
                value: position(&at),
                source,
            },
        );
        if at.alias {
            return;
        }
        match &node.content {
            Content::Mapping(entries) => {
                for entry in entries {
                    let named = entry
                        .key
                        .written
                        .filter(|w| !w.alias)
                        .and(json_key(&entry.key));
                    if let (Some(name), Some(key_at)) = (named, entry.key.written) {
                        let child = child(&pointer, &name);
                        self.visit(text, &entry.value, child, Some(position(&key_at)));
                    }
                }
            }
            Content::Sequence(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.visit(text, &item.value, child(&pointer, &index.to_string()), None);
                }
            }
            Content::Scalar(_) => {}
        }
    }
}

const SOURCE_CHARS: usize = 80;

/// The value as written (quotes included), its first line cut to a readable length.
fn source_text(text: &str, start: usize, end: usize) -> Option<String> {
    let raw = text.get(start..end)?;
    let first_line = raw.lines().next().unwrap_or_default();
    let mut shown: String = first_line.chars().take(SOURCE_CHARS).collect();
    if shown.len() < raw.len() {
        shown.push('…');
    }
    Some(shown)
}

fn position(at: &stream::Written) -> Position {
    Position {
        line: at.line as usize,
        column: at.column as usize + 1,
    }
}

fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// The JSON object key a scalar key stands for, as the values reader names it (`on:` is
/// the key "true" for Helm's YAML 1.1 reader); `None` for collections.
fn json_key(key: &Node) -> Option<String> {
    match key.content {
        Content::Scalar(_) => key.json_key(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(text: &str) -> PositionIndex {
        let root = crate::stream::read_yaml_document(text, &crate::stream::Limits::default())
            .expect("the text reads");
        PositionIndex::new(text, root.as_ref())
    }

    fn at(index: &PositionIndex, pointer: &str) -> (usize, usize) {
        let w = index
            .get(pointer)
            .unwrap_or_else(|| panic!("{pointer} not indexed"));
        (w.value.line, w.value.column)
    }

    #[test]
    fn values_keys_and_items_are_found_where_they_are_written() {
        let text = "smi:\n  dns:\n    app: a.example.com\n  kafka:\n    bootstrap:\n      - b1:9092\n      - 'b2:9092'\n  flow: {x: 1, z: [2, 3]}\n";
        let index = index(text);
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
        let index = index("on: 1\n'off': 2\n0x1F: 3\na/b: 4\n");
        assert!(index.get("/true").is_some());
        assert!(index.get("/off").is_some());
        assert!(index.get("/31").is_some());
        assert!(index.get("/a~1b").is_some());
    }

    #[test]
    fn collections_as_keys_index_nothing_below_them() {
        let index = index("? [a, b]\n: {c: 1}\nd: 2\n");
        assert!(index.get("/c").is_none());
        assert_eq!(at(&index, "/d"), (3, 4));
    }
}

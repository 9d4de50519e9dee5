//! Fields read during the scan: filters name, before the stream is read, the JSON pointers
//! they look at in many documents (a workload's service account, a Service's selector). The
//! scan records the values found there, so that asking for them later builds no tree.
//!
//! A recorded value is exactly what `Node::to_json` then `Value::pointer` would give. The
//! scan gives up recording (and the stream falls back to building the tree) for documents
//! whose JSON view needs more than the events at hand: aliases, tags, collection keys.
//! A field can be wanted only in documents of some kinds; the others do not record it, and
//! asking for it there reads the tree.

use serde_json::Value;

/// The JSON pointers to record, as a trie of their tokens (unescaped). No pointer is a
/// prefix of another: a longer one is answered from the shorter one's value.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    nodes: Vec<TrieNode>,
}

/// A JSON pointer to record (`/a/b`, escaped as in RFC 6901), in every document or only in
/// documents of some kinds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Field {
    /// The JSON pointer (RFC 6901), e.g. `/spec/template/spec/serviceAccountName`.
    pub pointer: String,
    /// `None`: every kind.
    pub kinds: Option<Vec<String>>,
}

impl Field {
    /// A field recorded in every document.
    pub fn any(pointer: impl Into<String>) -> Field {
        Field {
            pointer: pointer.into(),
            kinds: None,
        }
    }

    /// A field recorded in documents of these kinds only.
    pub fn of_kinds(kinds: &[&str], pointer: impl Into<String>) -> Field {
        Field {
            pointer: pointer.into(),
            kinds: Some(kinds.iter().map(|k| (*k).to_owned()).collect()),
        }
    }
}

impl From<&str> for Field {
    fn from(pointer: &str) -> Field {
        Field::any(pointer)
    }
}

#[derive(Debug, Clone, Default)]
struct TrieNode {
    children: Vec<Child>,
    /// Recorded here: the id of the pointer (its leaf's index in `nodes`).
    leaf: bool,
    /// For leaves: the kinds of documents it is recorded in (`None`: all).
    kinds: Option<Vec<String>>,
    /// Leaf ids under this node: `first..end` (ids are node indices, assigned depth first).
    end: u32,
}

#[derive(Debug, Clone)]
struct Child {
    token: String,
    /// The token as a JSON pointer writes it (RFC 6901: `~0` for `~`, `~1` for `/`).
    escaped: String,
    /// The token as a sequence index, read the way `Value::pointer` reads it.
    index: Option<usize>,
    node: u32,
}

/// A node of the trie where the scan stands.
pub type FieldNode = u32;

/// What the scan recorded in one document.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// (leaf node, value), in the order found.
    pub values: Vec<(FieldNode, Value)>,
    /// Leaves not recorded because of the document's kind.
    pub skipped: Vec<FieldNode>,
}

impl Fields {
    /// The trie of `fields`. Pointers that do not start with `/` (the whole document
    /// included) are ignored: they are never recorded.
    pub fn new<F: Into<Field>>(fields: impl IntoIterator<Item = F>) -> Fields {
        let mut paths: Vec<(Vec<String>, Option<Vec<String>>)> = fields
            .into_iter()
            .map(Into::into)
            .filter_map(|f| Some((tokens(&f.pointer)?, f.kinds)))
            .filter(|(t, _)| !t.is_empty())
            .collect();
        paths.sort();
        // Keep the shortest of pointers that share a prefix (sorted: prefixes come first),
        // recorded in the kinds of all of them.
        let mut kept: Vec<(Vec<String>, Option<Vec<String>>)> = Vec::new();
        for (path, kinds) in paths {
            match kept.last_mut() {
                Some((k, merged)) if path.starts_with(k) => {
                    *merged = match (merged.take(), kinds) {
                        (Some(mut a), Some(b)) => {
                            a.extend(b);
                            a.sort();
                            a.dedup();
                            Some(a)
                        }
                        _ => None,
                    };
                }
                _ => kept.push((path, kinds)),
            }
        }
        let mut fields = Fields { nodes: Vec::new() };
        if kept.is_empty() {
            return fields;
        }
        fields.nodes.push(TrieNode::default());
        fields.insert(0, &mut kept, 0);
        fields
    }

    /// Adds the (sorted, prefix-free) paths below `node`, which stands for their first
    /// `depth` tokens, depth first.
    fn insert(
        &mut self,
        node: usize,
        paths: &mut [(Vec<String>, Option<Vec<String>>)],
        depth: usize,
    ) {
        if let [(path, kinds)] = paths
            && path.len() == depth
        {
            self.nodes[node].leaf = true;
            self.nodes[node].kinds = kinds.take();
            self.nodes[node].end = node as u32 + 1;
            return;
        }
        let mut start = 0;
        while start < paths.len() {
            let token = &paths[start].0[depth];
            let end = start
                + paths[start..]
                    .iter()
                    .take_while(|p| &p.0[depth] == token)
                    .count();
            let child = self.nodes.len();
            self.nodes.push(TrieNode::default());
            self.nodes[node].children.push(Child {
                escaped: json_patch::jsonptr::Token::new(token.as_str())
                    .encoded()
                    .to_owned(),
                token: token.clone(),
                index: pointer_index(token),
                node: child as u32,
            });
            self.insert(child, &mut paths[start..end], depth + 1);
            start = end;
        }
        self.nodes[node].end = self.nodes.len() as u32;
    }

    /// The root of the trie, when any pointer is wanted.
    pub fn root(&self) -> Option<FieldNode> {
        (!self.nodes.is_empty()).then_some(0)
    }

    /// Whether `node` ends a recorded pointer (its value is recorded, not its children).
    pub fn is_leaf(&self, node: FieldNode) -> bool {
        self.nodes[node as usize].leaf
    }

    /// Whether a leaf is recorded in a document of `kind` (empty: not known yet).
    pub fn records_in(&self, leaf: FieldNode, kind: &str) -> bool {
        match &self.nodes[leaf as usize].kinds {
            None => true,
            Some(kinds) => kind.is_empty() || kinds.iter().any(|k| k == kind),
        }
    }

    /// The child for a mapping key (its JSON key text).
    pub fn key_child(&self, node: FieldNode, key: &str) -> Option<FieldNode> {
        self.nodes[node as usize]
            .children
            .iter()
            .find(|c| c.token == key)
            .map(|c| c.node)
    }

    /// The child for a sequence item.
    pub fn index_child(&self, node: FieldNode, index: usize) -> Option<FieldNode> {
        self.nodes[node as usize]
            .children
            .iter()
            .find(|c| c.index == Some(index))
            .map(|c| c.node)
    }

    /// Whether `leaf` lies under `node` (or is it).
    pub fn contains(&self, node: FieldNode, leaf: FieldNode) -> bool {
        (node..self.nodes[node as usize].end).contains(&leaf)
    }

    /// Where `pointer` is answered from: the recorded leaf and the rest of the pointer
    /// (escaped, starting with `/` or empty). `None` when no recorded value holds it.
    pub fn lookup<'p>(&self, pointer: &'p str) -> Option<(FieldNode, &'p str)> {
        let mut node = self.root()?;
        let mut rest = pointer;
        loop {
            if self.is_leaf(node) {
                return Some((node, rest));
            }
            let tail = rest.strip_prefix('/')?;
            // Tokens are short: a loop finds the `/` sooner than `str::find`'s searcher.
            let (token, next) = match tail.bytes().position(|b| b == b'/') {
                Some(i) => (&tail[..i], &tail[i..]),
                None => (tail, ""),
            };
            let children = &self.nodes[node as usize].children;
            node = children
                .iter()
                .find(|c| c.escaped == token)
                // A `~` that escapes nothing (`~2`) is read as itself, as `Value::pointer`
                // reads it: such a token is compared unescaped.
                .or_else(|| {
                    let token = token.contains('~').then(|| unescape(token))?;
                    children.iter().find(|c| c.token == token)
                })
                .map(|c| c.node)?;
            rest = next;
        }
    }
}

/// The value at `pointer` given what was recorded for a document (`Some(None)`: not
/// there); `None` when the leaf was not recorded in this document.
pub fn answer(recorded: &Recorded, leaf: FieldNode, rest: &str) -> Option<Option<Value>> {
    if recorded.skipped.contains(&leaf) {
        return None;
    }
    Some(
        recorded
            .values
            .iter()
            .rev()
            .find(|(l, _)| *l == leaf)
            .and_then(|(_, v)| v.pointer(rest))
            .cloned(),
    )
}

fn tokens(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let tail = pointer.strip_prefix('/')?;
    Some(tail.split('/').map(unescape).collect())
}

fn unescape(token: &str) -> String {
    if !token.contains('~') {
        return token.to_owned();
    }
    token.replace("~1", "/").replace("~0", "~")
}

/// `Value::pointer`'s reading of an array index.
fn pointer_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longer_pointers_are_answered_from_shorter_ones() {
        let f = Fields::new([
            "/spec/template/metadata/labels",
            "/spec/template/metadata/labels/app",
            "/kind",
        ]);
        let (leaf, rest) = f.lookup("/spec/template/metadata/labels/app").unwrap();
        assert_eq!(rest, "/app");
        assert!(f.is_leaf(leaf));
        assert_eq!(f.lookup("/kind").unwrap().1, "");
        assert!(f.lookup("/spec/template").is_none());
        assert!(f.lookup("/metadata").is_none());
        assert!(f.lookup("").is_none());
        assert!(f.lookup("kind").is_none());
        let spec = f.key_child(0, "spec").unwrap();
        assert!(f.contains(spec, leaf));
        assert!(!f.contains(spec, f.lookup("/kind").unwrap().0));
    }

    #[test]
    fn escaped_tokens_and_indices() {
        let f = Fields::new([
            "/metadata/labels/app.kubernetes.io~1name",
            "/spec/ports/0/name",
        ]);
        assert_eq!(
            f.lookup("/metadata/labels/app.kubernetes.io~1name")
                .unwrap()
                .1,
            ""
        );
        let ports = f
            .key_child(f.key_child(0, "spec").unwrap(), "ports")
            .unwrap();
        assert!(f.index_child(ports, 0).is_some());
        assert!(f.index_child(ports, 1).is_none());
        assert!(Fields::new(["", "x"]).root().is_none());
        // Escapes as `Value::pointer` reads them, `~` escaping nothing included.
        let f = Fields::new(["/a~0b/c~1d", "/e~2f"]);
        assert_eq!(f.lookup("/a~0b/c~1d/x").unwrap().1, "/x");
        assert_eq!(f.lookup("/e~2f").unwrap().1, "");
        assert!(f.lookup("/a~1b/c~1d").is_none());
        assert!(f.lookup("/a~0b/c~0d").is_none());
    }
}

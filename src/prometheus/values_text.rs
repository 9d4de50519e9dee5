//! Locating `rules:` and `rules.external:` in a values file by where its tree says each
//! node is written, and planning the smallest text edit that adds one item there.

use serde_json::{Value, json};

use crate::stream::{Content, Layout, Node, ScalarStyle, emit};

/// A key written in a way this edit does not extend: (key path, how it is written).
pub type Unsupported = (&'static str, &'static str);

/// How a node of interest is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    BlockMapping,
    FlowMapping,
    BlockSequence,
    FlowSequence,
    /// A null written as nothing, `~` or `null`.
    Null,
    Other,
    Alias,
}

/// Where a node is in the text (byte offsets).
#[derive(Debug, Clone, Copy)]
struct Place {
    shape: Shape,
    start: usize,
    /// End of the node's last character (of its last descendant, for block collections).
    end: usize,
    /// Column of a block collection's keys or dashes.
    column: usize,
    /// Offset of a flow collection's closing bracket.
    close: usize,
    empty: bool,
}

/// The root and the `rules` / `rules.external` entries: (column of the key, value's place).
#[derive(Debug, Default)]
pub struct Located {
    root: Option<Place>,
    rules: Option<(usize, Place)>,
    external: Option<(usize, Place)>,
}

/// Finds the root and the `rules` / `rules.external` entries in the tree of the values file
/// (as read by `stream::read_yaml_document`, which remembers where each node is written).
pub fn locate(root: Option<&Node>) -> Located {
    let mut found = Located::default();
    let Some(root) = root else {
        return found;
    };
    found.root = place(root);
    let Some((column, rules)) = entry(root, "rules") else {
        return found;
    };
    found.rules = place(rules).map(|p| (column, p));
    if let Some((column, external)) = entry(rules, "external") {
        found.external = place(external).map(|p| (column, p));
    }
    found
}

/// The value of the last entry whose key is written `name` (as a reader keeps the last of
/// duplicate keys), with the key's column; aliases are not looked into.
fn entry<'a>(node: &'a Node, name: &str) -> Option<(usize, &'a Node)> {
    if node.written.is_some_and(|w| w.alias) {
        return None;
    }
    let Content::Mapping(entries) = &node.content else {
        return None;
    };
    entries.iter().rev().find_map(|e| match &e.key.content {
        Content::Scalar(key) if key.text == name => {
            Some((e.key.written.map_or(0, |w| w.column as usize), &e.value))
        }
        _ => None,
    })
}

/// Where and how a node is written.
fn place(node: &Node) -> Option<Place> {
    let at = node.written?;
    let shape = match &node.content {
        _ if at.alias => Shape::Alias,
        Content::Scalar(scalar) => scalar_shape(&scalar.text, scalar.style),
        Content::Mapping(_) if at.flow => Shape::FlowMapping,
        Content::Mapping(_) => Shape::BlockMapping,
        Content::Sequence(_) if at.flow => Shape::FlowSequence,
        Content::Sequence(_) => Shape::BlockSequence,
    };
    let empty = match &node.content {
        Content::Mapping(entries) => entries.is_empty(),
        Content::Sequence(items) => items.is_empty(),
        Content::Scalar(_) => true,
    };
    Some(Place {
        shape,
        start: at.start as usize,
        end: at.end as usize,
        column: at.column as usize,
        close: at.close as usize,
        empty,
    })
}

fn scalar_shape(value: &str, style: ScalarStyle) -> Shape {
    let null = matches!(value, "" | "~" | "null" | "Null" | "NULL");
    if style == ScalarStyle::Plain && null {
        Shape::Null
    } else {
        Shape::Other
    }
}

/// One change to the text.
pub struct Edit {
    pub at: std::ops::Range<usize>,
    pub text: String,
}

pub fn plan(text: &str, located: &Located, rule: &Value) -> Result<Vec<Edit>, Unsupported> {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let unsupported = |key, how| -> Unsupported { (key, how) };
    let flow_rule = serde_json::to_string(rule).expect("a JSON value serializes");
    let item = |column: usize| {
        indent(
            &emit(&Node::from_json(&json!([rule])), Layout::default()),
            column,
            nl,
        )
    };
    let external_entry =
        |column: usize| format!("{}external:{nl}{}", " ".repeat(column), item(column + 2));
    match (located.rules, located.external) {
        (None, _) => match located.root {
            None => Ok(vec![append_at_end(
                text,
                format!("rules:{nl}{}", external_entry(2)),
                nl,
            )]),
            Some(root) if root.shape == Shape::BlockMapping => {
                let block = format!(
                    "{}rules:{nl}{}",
                    " ".repeat(root.column),
                    external_entry(root.column + 2)
                );
                Ok(vec![insert_after_line(text, root.end, block, nl)])
            }
            Some(root) if root.shape == Shape::FlowMapping => Ok(vec![into_flow(
                root,
                format!("rules: {{external: [{flow_rule}]}}"),
            )]),
            Some(_) => Err(unsupported("(top level)", "something else than a mapping")),
        },
        (Some((key_column, rules)), None) => match rules.shape {
            Shape::BlockMapping => Ok(vec![insert_after_line(
                text,
                rules.end,
                external_entry(rules.column),
                nl,
            )]),
            Shape::FlowMapping if !rules.empty => {
                Ok(vec![into_flow(rules, format!("external: [{flow_rule}]"))])
            }
            Shape::FlowMapping | Shape::Null => Ok(replace_with_block(
                text,
                rules,
                external_entry(key_column + 2),
                nl,
            )),
            Shape::Alias => Err(unsupported("rules", "an alias (*name)")),
            _ => Err(unsupported("rules", "something else than a mapping")),
        },
        (Some(_), Some((key_column, external))) => match external.shape {
            Shape::BlockSequence => Ok(vec![insert_after_line(
                text,
                external.end,
                item(dash_column(text, external.start, external.column)),
                nl,
            )]),
            Shape::FlowSequence if !external.empty => Ok(vec![into_flow(external, flow_rule)]),
            Shape::FlowSequence | Shape::Null => {
                Ok(replace_with_block(text, external, item(key_column + 2), nl))
            }
            Shape::Alias => Err(unsupported("rules.external", "an alias (*name)")),
            _ => Err(unsupported("rules.external", "something else than a list")),
        },
    }
}

/// The column of a block sequence's first dash: the parser's span may start at the dash or
/// at the item after it (for a sequence not indented under its key).
fn dash_column(text: &str, start: usize, column: usize) -> usize {
    if text[start..].starts_with('-') {
        return column;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let before = text[line_start..start].trim_end();
    match before.strip_suffix('-') {
        Some(indent) if indent.trim().is_empty() => indent.chars().count(),
        _ => column,
    }
}

/// Indents every line of `block` by `column` spaces, with the file's line endings.
fn indent(block: &str, column: usize, nl: &str) -> String {
    let pad = " ".repeat(column);
    block
        .lines()
        .map(|line| format!("{pad}{line}{nl}"))
        .collect()
}

/// Adds an entry before the closing bracket of a non-empty flow collection.
fn into_flow(place: Place, entry: String) -> Edit {
    Edit {
        at: place.close..place.close,
        text: format!(", {entry}"),
    }
}

/// Removes an empty `[]`, `{}` or null value (and the spaces before it) and writes `block`
/// on the lines after it; a comment on the same line stays where it is.
fn replace_with_block(text: &str, place: Place, block: String, nl: &str) -> Vec<Edit> {
    let spaces =
        text[..place.start].len() - text[..place.start].trim_end_matches([' ', '\t']).len();
    vec![
        Edit {
            at: place.start - spaces..place.end,
            text: String::new(),
        },
        insert_after_line(text, place.end, block, nl),
    ]
}

/// Inserts whole lines after the line where a node ends (after its trailing comment).
fn insert_after_line(text: &str, end: usize, block: String, nl: &str) -> Edit {
    let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
    // A block scalar's span runs into the next line's indentation: insert before that line.
    if end > 0 && line_start > 0 && text[line_start..end].trim().is_empty() {
        return Edit {
            at: line_start..line_start,
            text: block,
        };
    }
    match text[end..].find('\n') {
        Some(i) => Edit {
            at: end + i + 1..end + i + 1,
            text: block,
        },
        None => Edit {
            at: text.len()..text.len(),
            text: format!("{nl}{block}"),
        },
    }
}

fn append_at_end(text: &str, block: String, nl: &str) -> Edit {
    let separator = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        nl
    };
    Edit {
        at: text.len()..text.len(),
        text: format!("{separator}{block}"),
    }
}

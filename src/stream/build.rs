//! Pass two, for the documents a filter reads: the events of one document, comments
//! included, become a node tree that remembers scalar styles and comments.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{
    Event, Options, Parser, Placement, ScalarStyle as Style, Span, StructureStyle, Tag,
};

use super::emit::Layout;
use super::tree::{Comments, Content, Entry, Item, Node, Scalar, ScalarStyle, Written, position};

/// A parsed document: its tree and the indentation habits to write it back with.
#[derive(Debug, Clone)]
pub struct Tree {
    pub root: Node,
    pub layout: Layout,
}

/// Builds the tree of `text` (one document). Only comments inside `content` are kept: the
/// lines before and after it are written back verbatim by the caller.
pub fn build(text: &str, content: Range<usize>, max_depth: usize) -> Result<Tree, String> {
    let mut options = Options::default();
    options.block_nesting_limit = max_depth;
    options.flow_nesting_limit = max_depth;
    let mut b = TreeBuilder::new(text, content);
    for next in Parser::new_from_str_with_options(text, options) {
        let (event, span) = next.map_err(|e| e.to_string())?;
        b.event(event, &span);
        if b.is_done() {
            break;
        }
    }
    b.finish()
        .ok_or_else(|| "the document has no content".to_owned())
}

/// Builds the tree of the document whose events (read without comments, by a pass over a
/// whole stream) are `events`, in `source`; the comments are found in the text between the
/// events, and given to the builder where the parser would have given them: before the
/// event that follows them, except the comment on a block scalar's header line (`key: |
/// # note`), which the parser reads with the scalar and gives after it. `content` is as for
/// [`build`]. The same tree as [`build`] of the document's text (positions aside: they are
/// offsets and lines in `source`).
pub fn build_from_events(
    source: &str,
    content: Range<usize>,
    events: &mut Vec<(Event<'_>, Span)>,
) -> Option<Tree> {
    let mut b = TreeBuilder::new(source, content);
    let mut cursor: Option<usize> = None;
    let mut after = Vec::new();
    for (event, span) in events.drain(..) {
        let start = offset(span.start);
        if let Some(from) = cursor
            && start > from
        {
            let block = matches!(&event, Event::Scalar(_, Style::Literal | Style::Folded, ..));
            let header = if block {
                block_header_line(source, from, start)
            } else {
                usize::MAX
            };
            for (at, text, right) in comments_between(source, from, start) {
                let line = span.start.line() - line_breaks(&source[at..start]);
                let mark = granit_parser::Marker::new(at, line, 0).with_byte_offset(Some(at));
                let comment = (text, right, Span::new(mark, mark));
                if at >= header {
                    after.push(comment);
                } else {
                    let (text, right, span) = comment;
                    b.event(Event::Comment(Cow::Borrowed(text), placement(right)), &span);
                }
            }
        }
        cursor = Some(cursor.map_or(offset(span.end), |c| c.max(offset(span.end))));
        b.event(event, &span);
        for (text, right, span) in after.drain(..) {
            b.event(Event::Comment(Cow::Borrowed(text), placement(right)), &span);
        }
        if b.is_done() {
            break;
        }
    }
    b.finish()
}

fn placement(right: bool) -> Placement {
    if right {
        Placement::Right
    } else {
        Placement::Free
    }
}

/// Line breaks in `text` (LF, CR LF, or a lone CR).
fn line_breaks(text: &str) -> usize {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\n' || (**b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

/// The comments in `source[from..to]`, text between two events (indicators, properties,
/// blanks and comments only): (offset of `#`, text after it, whether written after
/// something on its line). A `#` starts a comment at a line's start, after a blank, or
/// right after the event before (a token that a `#` cannot continue).
fn comments_between(source: &str, from: usize, to: usize) -> Vec<(usize, &str, bool)> {
    let bytes = source.as_bytes();
    let mut found = Vec::new();
    let mut i = from;
    while i < to {
        if bytes[i] == b'#' && (i == from || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r')) {
            let end = source[i..]
                .find(['\n', '\r'])
                .map_or(source.len(), |n| i + n);
            let line_start = source[..i].rfind(['\n', '\r']).map_or(0, |n| n + 1);
            let right = !source[line_start..i].trim_matches([' ', '\t']).is_empty();
            found.push((i, &source[i + 1..end], right));
            i = end;
            continue;
        }
        i += 1;
    }
    found
}

/// Where the line of a block scalar's header (`|` or `>`, before the scalar's text at
/// `to`) starts, in `source[from..to]`: comments from there on are read with the scalar.
fn block_header_line(source: &str, from: usize, to: usize) -> usize {
    let gap = &source[from..to];
    let mut header = usize::MAX;
    let mut line_start = from;
    for line in gap.split_inclusive(['\n', '\r']) {
        // The line without its comment.
        let code = match line.find('#') {
            Some(i) => &line[..i],
            None => line,
        };
        if code.contains(['|', '>']) {
            header = line_start;
        }
        line_start += line.len();
    }
    header
}

/// Turns the parser's events for one document (comments included) into its [`Tree`]: fed
/// by [`build`], or by a reader that walks the events for its own checks at the same time,
/// so that the text is parsed once. Events after the first document's root are ignored.
pub struct TreeBuilder<'a> {
    text: &'a str,
    content: Range<usize>,
    stack: Vec<Open>,
    /// Own-line comments waiting for the next entry or item.
    pending: Vec<String>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    /// Line of the last scalar or flow-collection end: a same-line comment belongs to it.
    last_line: usize,
    indent: Option<usize>,
    indent_sequences: Option<bool>,
}

struct Open {
    node: Node,
    anchor: usize,
    /// For mappings: the key read, waiting for its value, with the entry's comments.
    key: Option<(Node, Comments)>,
    /// Comments for the next entry or item of this collection.
    next: Comments,
    /// Own-line comments above this collection's own entry or item.
    own: Vec<String>,
    /// Column of this collection's keys or dashes.
    column: usize,
}

impl<'a> TreeBuilder<'a> {
    /// A builder for the document in `text` whose content is `content` (comments outside it
    /// are dropped).
    pub fn new(text: &'a str, content: Range<usize>) -> TreeBuilder<'a> {
        TreeBuilder {
            text,
            content,
            stack: Vec::new(),
            pending: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            last_line: 0,
            indent: None,
            indent_sequences: None,
        }
    }

    /// Whether the document's root is complete (later events are ignored).
    pub fn is_done(&self) -> bool {
        self.root.is_some()
    }

    /// The tree, once the root is complete.
    pub fn finish(self) -> Option<Tree> {
        let default = Layout::default();
        Some(Tree {
            root: self.root?,
            layout: Layout {
                indent: self.indent.unwrap_or(default.indent),
                indent_sequences: self.indent_sequences.unwrap_or(default.indent_sequences),
            },
        })
    }

    /// One event of the parser, with its span.
    pub fn event(&mut self, event: Event<'_>, span: &Span) {
        if self.is_done() {
            return;
        }
        match event {
            Event::Comment(text, placement) => self.comment(&text, placement, span),
            Event::Scalar(text, style, anchor, tag) => {
                let text = block_scalar_value(text, style, self.text, span);
                let node = Node {
                    content: Content::Scalar(Scalar {
                        text: text.as_ref().into(),
                        style: scalar_style(style),
                    }),
                    tag: tag.map(|t| tag_text(&t)),
                    trailing: Box::default(),
                    written: Some(written(span, false)),
                };
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.last_line = span.end.line();
                let own = std::mem::take(&mut self.pending);
                self.attach(node, own);
            }
            Event::Alias(id) => {
                let mut node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| Node::from_json(&serde_json::Value::Null));
                node.written = Some(Written {
                    alias: true,
                    ..written(span, false)
                });
                self.last_line = span.end.line();
                let own = std::mem::take(&mut self.pending);
                self.attach(node, own);
            }
            Event::MappingStart(style, anchor, tag) => {
                self.open(Content::Mapping(Vec::new()), style, anchor, tag, span)
            }
            Event::SequenceStart(style, anchor, tag) => {
                self.open(Content::Sequence(Vec::new()), style, anchor, tag, span)
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if !span.is_empty() {
                    self.last_line = span.end.line();
                }
                self.close(span);
            }
            _ => {}
        }
    }

    fn comment(&mut self, text: &str, placement: Placement, span: &Span) {
        let start = span.start.byte_offset().unwrap_or(span.start.index());
        if !self.content.contains(&start) {
            return;
        }
        let same_line = span.start.line() == self.last_line;
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        if placement != Placement::Right {
            self.pending.push(text.to_owned());
            return;
        }
        let text = Some(text.to_owned());
        if let Some((_, comments)) = top.key.as_mut() {
            comments.right = comments.right.take().or(text);
            return;
        }
        if same_line {
            let last = match &mut top.node.content {
                Content::Mapping(entries) => entries.last_mut().map(|e| &mut e.comments),
                Content::Sequence(items) => items.last_mut().map(|i| &mut i.comments),
                Content::Scalar(_) => None,
            };
            if let Some(c) = last.filter(|c| Comments::of(c).right.is_none()) {
                c.get_or_insert_with(Box::default).right = text;
                return;
            }
        }
        // `- # note` before the item's content: the comment goes on the dash's line.
        top.next.right = top.next.right.take().or(text);
    }

    fn open(
        &mut self,
        content: Content,
        style: StructureStyle,
        anchor: usize,
        tag: Option<Cow<'_, Tag>>,
        span: &Span,
    ) {
        let column = self.collection_column(&content, span);
        let is_value = self.stack.last().is_some_and(|p| p.key.is_some());
        if is_value && style == StructureStyle::Block {
            let key_column = self.stack.last().map_or(0, |p| p.column);
            self.observe_layout(&content, column, key_column);
        }
        // Comments between `key:` and a nested block describe its first entry; comments
        // above a list item or key describe the item or entry itself.
        let pending = std::mem::take(&mut self.pending);
        let (own, next) = if is_value {
            (Vec::new(), pending)
        } else {
            (pending, Vec::new())
        };
        self.stack.push(Open {
            node: Node {
                content,
                tag: tag.map(|t| tag_text(&t)),
                trailing: Box::default(),
                written: Some(written(span, style != StructureStyle::Block)),
            },
            anchor,
            key: None,
            next: Comments {
                above: next,
                right: None,
            },
            own,
            column,
        });
    }

    /// The column of a block sequence's dashes, or of a mapping's first key.
    fn collection_column(&self, content: &Content, span: &Span) -> usize {
        if let Content::Sequence(_) = content {
            let offset = span.start.byte_offset().unwrap_or(span.start.index());
            let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
            if let Some(dash) = self.text[line_start..offset].rfind('-') {
                return self.text[line_start..line_start + dash].chars().count();
            }
        }
        span.start.col()
    }

    fn observe_layout(&mut self, content: &Content, column: usize, key_column: usize) {
        match content {
            Content::Mapping(_) if self.indent.is_none() && column > key_column => {
                self.indent = Some(column - key_column);
            }
            Content::Sequence(_) if self.indent_sequences.is_none() => {
                self.indent_sequences = Some(column > key_column);
            }
            _ => {}
        }
    }

    fn close(&mut self, span: &Span) {
        let Some(mut open) = self.stack.pop() else {
            return;
        };
        if let Some(w) = open.node.written.as_mut()
            && w.flow
        {
            w.close = position(offset(span.start));
            w.end = position(offset(span.end));
        }
        if !self.pending.is_empty() || !open.next.above.is_empty() {
            let mut trailing = std::mem::take(&mut self.pending);
            trailing.extend(open.next.above);
            open.node.trailing = trailing.into_boxed_slice();
        }
        if open.anchor != 0 {
            self.anchors.insert(open.anchor, open.node.clone());
        }
        self.attach(open.node, open.own);
    }

    /// Puts a finished node where it belongs: a key, a value, an item, or the root.
    fn attach(&mut self, node: Node, own: Vec<String>) {
        let Some(top) = self.stack.last_mut() else {
            self.root = Some(node);
            return;
        };
        // A block collection ends where its last descendant ends.
        if let (Some(parent), Some(child)) = (top.node.written.as_mut(), node.written.as_ref())
            && !parent.flow
        {
            parent.end = parent.end.max(child.end);
            parent.close = parent.end;
        }
        match &mut top.node.content {
            Content::Mapping(entries) => match top.key.take() {
                None => {
                    let mut comments = std::mem::take(&mut top.next);
                    comments.above.extend(own);
                    top.key = Some((node, comments));
                }
                Some((key, mut comments)) => {
                    comments.above.extend(own);
                    entries.push(Entry {
                        key,
                        value: node,
                        comments: comments.boxed(),
                    });
                }
            },
            Content::Sequence(items) => {
                let mut comments = std::mem::take(&mut top.next);
                comments.above.extend(own);
                items.push(Item {
                    value: node,
                    comments: comments.boxed(),
                });
            }
            Content::Scalar(_) => {}
        }
    }
}

/// A scalar's value as YAML readers (go-yaml, PyYAML) read it. granit-parser gives a `|` or
/// `>` block scalar whose last line ends the input without a line break a line break all
/// the same (clip and keep chomping); there is no line break to keep there, so the value
/// ends with that line's text. Anything else is the parser's value unchanged.
pub(super) fn block_scalar_value<'t>(
    value: Cow<'t, str>,
    style: Style,
    source: &str,
    span: &Span,
) -> Cow<'t, str> {
    if !matches!(style, Style::Literal | Style::Folded) || !value.ends_with('\n') {
        return value;
    }
    // The input's last line: it has no line break after it.
    let last_line_start = source.rfind('\n').map_or(0, |i| i + 1);
    let ends_input_without_break =
        !source[last_line_start..].trim().is_empty() && offset(span.end) > last_line_start;
    if ends_input_without_break {
        let mut value = value.into_owned();
        value.pop();
        return Cow::Owned(value);
    }
    value
}

fn offset(marker: granit_parser::Marker) -> usize {
    marker.byte_offset().unwrap_or(marker.index())
}

/// Where the node an event opens or is is written (a collection's end is set as it fills).
fn written(span: &Span, flow: bool) -> Written {
    let start = offset(span.start);
    let end = offset(span.end);
    Written {
        start: position(start),
        end: position(end),
        line: position(span.start.line()),
        column: position(span.start.col()),
        flow,
        close: position(end),
        alias: false,
    }
}

pub(super) fn scalar_style(style: Style) -> ScalarStyle {
    match style {
        Style::Plain => ScalarStyle::Plain,
        Style::SingleQuoted => ScalarStyle::SingleQuoted,
        Style::DoubleQuoted => ScalarStyle::DoubleQuoted,
        Style::Literal => ScalarStyle::Literal,
        Style::Folded => ScalarStyle::Folded,
    }
}

/// A tag as it can be written without `%TAG` directives.
fn tag_text(tag: &Tag) -> Box<str> {
    match tag.handle() {
        "tag:yaml.org,2002:" => format!("!!{}", tag.suffix()),
        "!" => format!("!{}", tag.suffix()),
        handle => format!("!<{}{}>", handle, tag.suffix()),
    }
    .into_boxed_str()
}

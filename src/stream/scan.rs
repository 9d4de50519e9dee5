//! Pass one over the whole stream: YAML events only, no tree. Finds where each document
//! starts and ends, reads the few fields filters select on (apiVersion, kind, name,
//! namespace), records the values of the fields filters asked for (see `fields`), and
//! enforces the budget. Documents no filter reads in full are never built.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, Options, Parser, ScalarStyle, Span};
use serde_json::{Map, Value};

use super::build::scalar_style;
use super::build::{Tree, TreeBuilder, build_from_events};
use super::error::{Location, StreamError};
use super::fields::{FieldNode, Fields, Recorded, answer};
use super::limits::Limits;
use super::resolve::plain_is_surely_text;
use super::tree::{json_key_of, scalar_json};

/// Helm 4 names each document's template with this annotation.
pub const FILENAME_ANNOTATION: &str = "postrenderer.helm.sh/postrender-filename";

/// The fields of a Kubernetes object that select it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// `metadata.name`; none when the object has none.
    pub name: Option<String>,
    /// `metadata.namespace`; none for cluster-scoped objects or when the chart leaves it to Helm.
    pub namespace: Option<String>,
    /// The chart template it came from (`# Source:` comment or Helm 4's annotation).
    pub template: Option<String>,
}

impl Header {
    /// `Kind/namespace/name`, the way an operator names an object.
    pub fn display_name(&self) -> String {
        let name = self.name.as_deref().unwrap_or("<unnamed>");
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, name),
            None => format!("{}/{}", self.kind, name),
        }
    }
}

/// One document as found in the input.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// Bytes of the document in the input, from its `---` to the next one.
    pub range: Range<usize>,
    /// 1-based line of the first byte.
    pub line: usize,
    pub body: ScannedBody,
    /// The values found at the wanted fields; `None` when the document's JSON view needs
    /// its tree (aliases, tags, collection keys) or no field was wanted.
    pub recorded: Option<Recorded>,
    /// The document's tree, built on the way when a [`Prebuild`] wanted it.
    pub tree: Option<Tree>,
}

/// The documents whose trees the reading pass builds on the way (from the events it reads
/// anyway, comments found in the text between them), because filters are about to change
/// them: this saves reading them a second time. Only a head start: a document not built
/// here is built when it is first opened, to the same tree.
pub struct Prebuild<'f> {
    /// The kinds of the documents that may be wanted; others are not looked at.
    pub kinds: Vec<String>,
    /// Whether a document of one of those kinds is wanted, from its header and the values
    /// the pass recorded (`field(pointer)`: `None` when not recorded or absent).
    #[allow(clippy::type_complexity)]
    pub wanted: Box<dyn Fn(&Header, &dyn Fn(&str) -> Option<Value>) -> bool + Sync + 'f>,
}

#[derive(Debug, Clone)]
pub enum ScannedBody {
    /// No content: an empty document, or only comments.
    Empty,
    Object {
        header: Header,
        /// Where the content's first line starts (everything before is kept verbatim).
        head_end: usize,
        /// Where the lines after the content start (kept verbatim too).
        tail_start: usize,
    },
}

/// What a document must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Kubernetes objects (mappings with apiVersion and kind), or empty.
    Objects,
    /// Any YAML (values files).
    AnyYaml,
}

pub fn scan(
    source: &str,
    limits: &Limits,
    expect: Expect,
    fields: &Fields,
    prebuild: Option<&Prebuild<'_>>,
) -> Result<Vec<Scanned>, StreamError> {
    if let Some(split) = parallel_split(source)
        && let Some(docs) = scan_in_two(source, split, limits, expect, fields, prebuild)
    {
        return Ok(docs);
    }
    scan_with(source, limits, expect, fields, None, prebuild)
}

/// Streams from this size up are read in two halves on two threads (when the machine has
/// two cores): about half a millisecond of reading, ten times what starting a thread costs
/// (measured: the platform example, 45 KB, 2.27 ms on one thread, 1.97 ms on two).
pub const PARALLEL_SCAN_BYTES: usize = 32 * 1024;

/// Where to cut `source` in two for [`scan_in_two`]: the start of the first `---` line (a
/// document start marker: `---` then a blank, a line break or the end) after the middle.
/// `None` for a small stream, on one core, or when the halves could read differently from
/// the whole: a stream with directives (`%YAML`, `%TAG`, which belong to the document after
/// them) or with carriage returns (line numbers are then counted two ways).
fn parallel_split(source: &str) -> Option<usize> {
    if source.len() < PARALLEL_SCAN_BYTES
        || !super::has_two_cores()
        || source.starts_with('%')
        || source.contains("\n%")
        || source.contains('\r')
    {
        return None;
    }
    let bytes = source.as_bytes();
    let mut from = source.len() / 2;
    loop {
        let newline = from + bytes[from..].iter().position(|b| *b == b'\n')?;
        let line = newline + 1;
        if bytes[line..].starts_with(b"---")
            && matches!(bytes.get(line + 3), None | Some(b' ' | b'\t' | b'\n'))
        {
            return Some(line);
        }
        from = line;
    }
}

/// [`scan`] of `source[..split]` and `source[split..]` at the same time, the second half's
/// offsets and lines then moved to where they are in `source`: the same documents as one
/// scan of the whole. `None` when either half fails or the two exceed the document limit:
/// the caller then reads the whole in one piece, for the error with its exact place.
fn scan_in_two(
    source: &str,
    split: usize,
    limits: &Limits,
    expect: Expect,
    fields: &Fields,
    prebuild: Option<&Prebuild<'_>>,
) -> Option<Vec<Scanned>> {
    let (first, second) = super::on_two_threads(
        || scan_to_end(&source[..split], limits, expect, fields, None, prebuild),
        // The second half is moved into place on its own thread, by the line breaks before
        // it.
        || {
            let docs = scan_with(&source[split..], limits, expect, fields, None, prebuild)?;
            let lines = source[..split].bytes().filter(|b| *b == b'\n').count();
            Ok::<_, StreamError>((
                docs.into_iter()
                    .map(|doc| doc.moved(split, lines))
                    .collect::<Vec<_>>(),
                lines,
            ))
        },
    );
    let (mut second, lines) = second.ok()?;
    // The parser's line at the cut, as it counts lines (which is not always one per `\n`):
    // the trees' positions in the second half move by it, the documents' by line breaks.
    let (mut docs, parser_line) = first.ok()?;
    // Text before a stream's first `---` belongs to its first document: a first half with no
    // object in it (comments only) would read as a document of its own.
    let object = |doc: &Scanned| matches!(doc.body, ScannedBody::Object { .. });
    if !docs.iter().any(object) || docs.len() + second.len() > limits.max_documents {
        return None;
    }
    let correction = parser_line.saturating_sub(1) as i64 - lines as i64;
    if correction != 0 {
        for tree in second.iter_mut().filter_map(|doc| doc.tree.as_mut()) {
            tree.root.move_written(0, correction);
        }
    }
    docs.append(&mut second);
    Some(docs)
}

impl Scanned {
    /// The document as found `offset` bytes and `lines` line breaks further into the input
    /// (its tree's lines too: [`scan_in_two`] corrects them where the parser counted lines
    /// differently).
    fn moved(mut self, offset: usize, lines: usize) -> Scanned {
        self.range = self.range.start + offset..self.range.end + offset;
        self.line += lines;
        if let ScannedBody::Object {
            head_end,
            tail_start,
            ..
        } = &mut self.body
        {
            *head_end += offset;
            *tail_start += offset;
        }
        if let Some(tree) = &mut self.tree {
            tree.root
                .move_written(offset, i64::try_from(lines).unwrap_or(i64::MAX));
        }
        self
    }
}

/// [`scan`], feeding every event (comments included) to `tree` as well, so that a document
/// is checked and built in one pass of the parser.
pub fn scan_building(
    source: &str,
    limits: &Limits,
    expect: Expect,
    fields: &Fields,
    tree: Option<&mut TreeBuilder<'_>>,
) -> Result<Vec<Scanned>, StreamError> {
    scan_with(source, limits, expect, fields, tree, None)
}

fn scan_with(
    source: &str,
    limits: &Limits,
    expect: Expect,
    fields: &Fields,
    tree: Option<&mut TreeBuilder<'_>>,
    prebuild: Option<&Prebuild<'_>>,
) -> Result<Vec<Scanned>, StreamError> {
    scan_to_end(source, limits, expect, fields, tree, prebuild).map(|(docs, _)| docs)
}

/// [`scan_with`], also giving the parser's line at the end of `source` (1-based, as its
/// positions count lines).
fn scan_to_end(
    source: &str,
    limits: &Limits,
    expect: Expect,
    fields: &Fields,
    mut tree: Option<&mut TreeBuilder<'_>>,
    prebuild: Option<&Prebuild<'_>>,
) -> Result<(Vec<Scanned>, usize), StreamError> {
    let mut options = Options::default();
    options.set_emit_comments(tree.is_some());
    options.block_nesting_limit = limits.max_depth;
    options.flow_nesting_limit = limits.max_depth;
    let mut scanner = Scanner {
        source,
        limits,
        docs: Vec::new(),
        current: None,
        counted: (0, 1),
        expect,
        fields,
        prebuild,
        events: Vec::new(),
        buffering: false,
    };
    let mut end_line = 1;
    for next in Parser::new_from_str_with_options(source, options) {
        match next {
            Ok((event, span)) => {
                if let Event::StreamEnd = event {
                    end_line = span.start.line();
                }
                if let Some(tree) = tree.as_deref_mut() {
                    tree.event(event.clone(), &span);
                }
                scanner.event(&event, span)?;
                if scanner.buffering {
                    scanner.events.push((event, span));
                }
            }
            Err(e) => {
                let line = e.marker().line();
                let at = scanner.location(line, e.marker().col() + 1);
                let message = e.info();
                if message.contains("nesting limit") || message.contains("recursion limit") {
                    return Err(StreamError::TooDeep {
                        at,
                        limit: limits.max_depth,
                    });
                }
                return Err(StreamError::Syntax { at, message });
            }
        }
    }
    Ok((scanner.docs, end_line))
}

struct Scanner<'a> {
    source: &'a str,
    limits: &'a Limits,
    docs: Vec<Scanned>,
    current: Option<DocState>,
    /// Lines counted so far: (byte offset, 1-based line at that offset).
    counted: (usize, usize),
    expect: Expect,
    fields: &'a Fields,
    prebuild: Option<&'a Prebuild<'a>>,
    /// The events of the document being read, while it may be one to build.
    events: Vec<(Event<'a>, Span)>,
    /// Whether the document being read may be one to build (its events are kept).
    buffering: bool,
}

struct DocState {
    start: usize,
    line: usize,
    frames: Vec<Frame>,
    /// The root node: None until seen.
    root: Option<Root>,
    header: Header,
    nodes: u64,
    anchors: HashMap<usize, u64>,
    content: Option<Range<usize>>,
    /// Values recorded so far; `None` once the document cannot be answered from events.
    recorded: Option<Recorded>,
    /// The value being recorded: its leaf, and its open collections (empty while none is
    /// being recorded).
    capture: Option<(FieldNode, Vec<Partial>)>,
}

/// An open collection of a value being recorded.
enum Partial {
    Mapping(Map<String, Value>, Option<String>),
    Sequence(Vec<Value>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Root {
    Mapping,
    Sequence,
    Scalar { empty: bool },
}

struct Frame {
    mapping: bool,
    expecting_key: bool,
    /// The key of the entry being read, when it names a header field (or leads to one).
    key: HeaderKey,
    /// Nodes inside, aliases expanded.
    size: u64,
    anchor: usize,
    /// Where in the header this frame sits: root, metadata, metadata.annotations.
    place: Place,
    /// The wanted fields' trie node of this collection, when some are below it.
    field: Option<FieldNode>,
    /// For mappings: the trie node of the current key's value.
    key_field: Option<FieldNode>,
    /// For sequences: items read so far.
    items: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    Root,
    Metadata,
    Annotations,
    Elsewhere,
}

impl<'a> Scanner<'a> {
    fn event(&mut self, event: &Event<'_>, span: Span) -> Result<(), StreamError> {
        match event {
            Event::DocumentStart(explicit, _) => {
                self.events.clear();
                self.buffering = self.prebuild.is_some();
                self.start_document(*explicit, &span)
            }
            Event::DocumentEnd => {
                let done = self.end_document();
                self.events.clear();
                self.buffering = false;
                done
            }
            Event::MappingStart(_, anchor, tag) => self.open(true, *anchor, tag.is_some(), &span),
            Event::SequenceStart(_, anchor, tag) => self.open(false, *anchor, tag.is_some(), &span),
            Event::MappingEnd | Event::SequenceEnd => self.close(&span),
            Event::Scalar(text, style, anchor, tag) => {
                self.scalar(text, *style, *anchor, tag.is_some(), &span)?;
                if self.buffering
                    && let (Some(doc), Some(prebuild)) = (&self.current, self.prebuild)
                    && !doc.header.kind.is_empty()
                    && !prebuild.kinds.contains(&doc.header.kind)
                {
                    // Not a kind any filter builds early: no need to keep its events.
                    self.buffering = false;
                    self.events.clear();
                }
                Ok(())
            }
            Event::Alias(id) => self.alias(*id, &span),
            _ => Ok(()),
        }
    }

    /// The tree of the document just read, when a [`Prebuild`] wants it.
    fn prebuilt(
        &mut self,
        header: &Header,
        recorded: Option<&Recorded>,
        content: Range<usize>,
    ) -> Option<Tree> {
        let prebuild = self.prebuild?;
        if !self.buffering || !prebuild.kinds.contains(&header.kind) {
            return None;
        }
        let fields = self.fields;
        let field = |pointer: &str| -> Option<Value> {
            let (leaf, rest) = fields.lookup(pointer)?;
            answer(recorded?, leaf, rest)?
        };
        if !(prebuild.wanted)(header, &field) {
            return None;
        }
        build_from_events(self.source, content, &mut self.events)
    }

    fn start_document(&mut self, explicit: bool, span: &Span) -> Result<(), StreamError> {
        let start = match (self.docs.last(), explicit) {
            (None, _) => 0,
            (Some(_), true) => span.start.byte_offset().unwrap_or(span.start.index()),
            // A document without `---` after an explicit end (`...`): the previous one's end
            // is still provisional (the end of the stream), so this one starts at its line.
            (Some(prev), false) => {
                let here = span.start.byte_offset().unwrap_or(span.start.index());
                prev.range.end.min(line_start(self.source, here))
            }
        };
        if let Some(prev) = self.docs.last_mut() {
            prev.range.end = start;
            // A block scalar's span can reach into the next document's `---` line.
            if let ScannedBody::Object {
                tail_start,
                head_end,
                ..
            } = &mut prev.body
            {
                *tail_start = (*tail_start).clamp(*head_end, start);
            }
        }
        if self.docs.len() >= self.limits.max_documents {
            let at = self.location(span.start.line(), 1);
            return Err(StreamError::TooManyDocuments {
                at,
                limit: self.limits.max_documents,
            });
        }
        let (from, line_at_from) = self.counted;
        let line = line_at_from
            + self.source[from..start]
                .bytes()
                .filter(|b| *b == b'\n')
                .count();
        self.counted = (start, line);
        self.current = Some(DocState {
            start,
            line,
            frames: Vec::new(),
            root: None,
            header: Header {
                template: None,
                ..Header::default()
            },
            nodes: 0,
            anchors: HashMap::new(),
            content: None,
            recorded: self.fields.root().map(|_| Recorded::default()),
            capture: None,
        });
        Ok(())
    }

    fn end_document(&mut self) -> Result<(), StreamError> {
        let Some(doc) = self.current.take() else {
            return Ok(());
        };
        let number = self.docs.len() + 1;
        let mut header = doc.header;
        let range = doc.start..self.source.len();
        let mut tree = None;
        let body = match (doc.root, doc.content) {
            (None | Some(Root::Scalar { empty: true }), _) | (_, None) => ScannedBody::Empty,
            (Some(root), Some(content)) => {
                let head_end = line_start(self.source, content.start);
                let tail_start = next_line_start(self.source, content.end);
                let template = header
                    .template
                    .take()
                    .or_else(|| source_comment(&self.source[doc.start..head_end]));
                header.template = template;
                let at = Location {
                    document: number,
                    line: doc.line,
                    column: 1,
                    template: header.template.clone(),
                };
                if self.expect == Expect::Objects {
                    check_object(root, &header, at)?;
                }
                tree = self.prebuilt(&header, doc.recorded.as_ref(), head_end..tail_start);
                ScannedBody::Object {
                    header,
                    head_end,
                    tail_start,
                }
            }
        };
        self.docs.push(Scanned {
            range,
            line: doc.line,
            body,
            recorded: doc.recorded,
            tree,
        });
        Ok(())
    }

    fn open(
        &mut self,
        mapping: bool,
        anchor: usize,
        tagged: bool,
        span: &Span,
    ) -> Result<(), StreamError> {
        let depth_limit = self.limits.max_depth;
        let at_line = span.start.line();
        let fields = self.fields;
        let Some(doc) = self.current.as_mut() else {
            return Ok(());
        };
        let field = match doc.frames.last() {
            Some(parent) if parent.mapping && parent.expecting_key => {
                // A collection as a key: its JSON view is left to the tree.
                doc.give_up();
                None
            }
            _ if tagged => {
                doc.give_up();
                None
            }
            parent => {
                let slot = slot(fields, parent);
                doc.open_value(fields, slot, mapping)
            }
        };
        let place = match doc.frames.last() {
            None => {
                doc.root = Some(if mapping {
                    Root::Mapping
                } else {
                    Root::Sequence
                });
                Place::Root
            }
            Some(parent) => match (parent.key, parent.expecting_key) {
                (HeaderKey::Metadata, false) if mapping => Place::Metadata,
                (HeaderKey::Annotations, false) if mapping => Place::Annotations,
                _ => Place::Elsewhere,
            },
        };
        mark_content(doc, span);
        doc.frames.push(Frame {
            mapping,
            expecting_key: true,
            key: HeaderKey::None,
            size: 1,
            anchor,
            place,
            field,
            key_field: None,
            items: 0,
        });
        if doc.frames.len() > depth_limit {
            let at = self.location(at_line, span.start.col() + 1);
            return Err(StreamError::TooDeep {
                at,
                limit: depth_limit,
            });
        }
        Ok(())
    }

    fn close(&mut self, span: &Span) -> Result<(), StreamError> {
        let Some(doc) = self.current.as_mut() else {
            return Ok(());
        };
        if !span.is_empty() {
            mark_content(doc, span);
        }
        let Some(frame) = doc.frames.pop() else {
            return Ok(());
        };
        doc.close_value();
        if frame.anchor != 0 {
            doc.anchors.insert(frame.anchor, frame.size);
        }
        match doc.frames.last_mut() {
            Some(parent) => {
                parent.size = parent.size.saturating_add(frame.size);
                advance(parent);
            }
            None => doc.nodes = frame.size,
        }
        Ok(())
    }

    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        anchor: usize,
        tagged: bool,
        span: &Span,
    ) -> Result<(), StreamError> {
        let fields = self.fields;
        let Some(doc) = self.current.as_mut() else {
            return Ok(());
        };
        let text =
            &*super::build::block_scalar_value(Cow::Borrowed(text), style, self.source, span);
        let merge_key = style == ScalarStyle::Plain
            && text == "<<"
            && doc
                .frames
                .last()
                .is_some_and(|f| f.mapping && f.expecting_key);
        if tagged || merge_key {
            // A merge key's values come from elsewhere: the tree knows them.
            doc.give_up();
        }
        doc.record_scalar(fields, text, style);
        if anchor != 0 {
            doc.anchors.insert(anchor, 1);
        }
        let Some(frame) = doc.frames.last_mut() else {
            let empty = span.is_empty() && style == ScalarStyle::Plain;
            doc.root = Some(Root::Scalar { empty });
            if !empty {
                mark_content(doc, span);
            }
            return Ok(());
        };
        frame.size = frame.size.saturating_add(1);
        if frame.mapping && frame.expecting_key {
            frame.key = HeaderKey::of(frame.place, text);
        } else if frame.mapping {
            record_header_field(&mut doc.header, frame.key, text);
        }
        advance(frame);
        mark_content(doc, span);
        Ok(())
    }

    fn alias(&mut self, id: usize, span: &Span) -> Result<(), StreamError> {
        let limit = self.limits.max_nodes_per_document;
        let Some(doc) = self.current.as_mut() else {
            return Ok(());
        };
        // An alias stands for a copy of its anchor's node: the tree resolves it.
        doc.give_up();
        mark_content(doc, span);
        let Some(&size) = doc.anchors.get(&id) else {
            let at = self.location(span.start.line(), span.start.col() + 1);
            return Err(StreamError::RecursiveAlias { at });
        };
        let Some(frame) = doc.frames.last_mut() else {
            return Ok(());
        };
        frame.size = frame.size.saturating_add(size);
        advance(frame);
        let total: u64 = doc
            .frames
            .iter()
            .map(|f| f.size)
            .fold(0, u64::saturating_add);
        if total > limit {
            let at = self.location(span.start.line(), span.start.col() + 1);
            return Err(StreamError::TooManyNodes { at, limit });
        }
        Ok(())
    }

    /// A location in the document being read, for errors.
    fn location(&self, line: usize, column: usize) -> Location {
        let template = self.current.as_ref().and_then(|d| {
            d.header.template.clone().or_else(|| {
                let end = d.content.as_ref().map_or(self.source.len(), |c| c.start);
                source_comment(self.source.get(d.start..end).unwrap_or(""))
            })
        });
        Location {
            document: self.docs.len() + 1,
            line,
            column,
            template,
        }
    }
}

fn advance(frame: &mut Frame) {
    if frame.mapping {
        frame.expecting_key = !frame.expecting_key;
    } else {
        frame.items += 1;
    }
}

impl DocState {
    /// Stops recording: the document's JSON view is left to its tree.
    fn give_up(&mut self) {
        self.recorded = None;
        self.capture = None;
    }

    /// A value starts at trie node `slot`: forgets what an earlier value of the same key
    /// recorded there.
    fn value_field(&mut self, fields: &Fields, slot: Option<FieldNode>) -> Option<FieldNode> {
        let recorded = self.recorded.as_mut()?;
        let node = slot?;
        recorded
            .values
            .retain(|(leaf, _)| !fields.contains(node, *leaf));
        if fields.is_leaf(node) && !fields.records_in(node, &self.header.kind) {
            recorded.skipped.push(node);
            return None;
        }
        Some(node)
    }

    /// A collection starts as a value at `slot`: returns its trie node when it holds wanted
    /// fields, and starts recording it when it is one.
    fn open_value(
        &mut self,
        fields: &Fields,
        slot: Option<FieldNode>,
        mapping: bool,
    ) -> Option<FieldNode> {
        let partial = || {
            if mapping {
                Partial::Mapping(Map::new(), None)
            } else {
                Partial::Sequence(Vec::new())
            }
        };
        if let Some((_, open)) = self.capture.as_mut() {
            open.push(partial());
            return None;
        }
        let node = self.value_field(fields, slot)?;
        if fields.is_leaf(node) {
            self.capture = Some((node, vec![partial()]));
            return None;
        }
        Some(node)
    }

    /// A collection ends: closes it in the value being recorded.
    fn close_value(&mut self) {
        let Some((leaf, open)) = self.capture.as_mut() else {
            return;
        };
        let value = match open.pop() {
            Some(Partial::Mapping(map, _)) => Value::Object(map),
            Some(Partial::Sequence(items)) => Value::Array(items),
            None => return,
        };
        let leaf = *leaf;
        self.put(leaf, value);
    }

    /// A finished value: into the collection being recorded, or recorded at `leaf`.
    fn put(&mut self, leaf: FieldNode, value: Value) {
        let open = self.capture.as_mut().map(|(_, open)| open);
        match open.and_then(|o| o.last_mut()) {
            Some(Partial::Mapping(map, key)) => {
                if let Some(key) = key.take() {
                    map.insert(key, value);
                }
            }
            Some(Partial::Sequence(items)) => items.push(value),
            None => {
                self.capture = None;
                if let Some(recorded) = self.recorded.as_mut() {
                    recorded.values.push((leaf, value));
                }
            }
        }
    }

    /// A scalar: a key or a value, in a tracked collection or in the value being recorded.
    fn record_scalar(&mut self, fields: &Fields, text: &str, style: ScalarStyle) {
        if self.recorded.is_none() {
            return;
        }
        let style = scalar_style(style);
        if let Some((leaf, open)) = self.capture.as_mut() {
            if let Some(Partial::Mapping(_, key @ None)) = open.last_mut() {
                *key = Some(key_text(text, style).into_owned());
                return;
            }
            let leaf = *leaf;
            self.put(leaf, scalar_json(text, style, None));
            return;
        }
        let Some(frame) = self.frames.last() else {
            return;
        };
        if frame.mapping && frame.expecting_key {
            let key_field = frame
                .field
                .and_then(|f| fields.key_child(f, &key_text(text, style)));
            if let Some(frame) = self.frames.last_mut() {
                frame.key_field = key_field;
            }
            return;
        }
        let slot = slot(fields, Some(frame));
        let Some(node) = self.value_field(fields, slot) else {
            return;
        };
        if fields.is_leaf(node) {
            self.put(node, scalar_json(text, style, None));
        }
    }
}

/// The trie node of a value starting in `parent` (the document's root when there is none).
fn slot(fields: &Fields, parent: Option<&Frame>) -> Option<FieldNode> {
    match parent {
        None => fields.root(),
        Some(p) if p.mapping => p.key_field,
        Some(p) => p.field.and_then(|f| fields.index_child(f, p.items)),
    }
}

/// The JSON key a scalar key stands for (`on:` is "true").
fn key_text(text: &str, style: super::tree::ScalarStyle) -> Cow<'_, str> {
    if style != super::tree::ScalarStyle::Plain || plain_is_surely_text(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(json_key_of(scalar_json(text, style, None)).unwrap_or_default())
}

fn mark_content(doc: &mut DocState, span: &Span) {
    let Some(range) = span.byte_range() else {
        return;
    };
    match &mut doc.content {
        Some(c) => {
            c.start = c.start.min(range.start);
            c.end = c.end.max(range.end);
        }
        None => doc.content = Some(range),
    }
}

/// A key that matters to the header, by where it is written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum HeaderKey {
    None,
    ApiVersion,
    Kind,
    Metadata,
    Name,
    Namespace,
    Annotations,
    Filename,
}

impl HeaderKey {
    fn of(place: Place, key: &str) -> HeaderKey {
        match (place, key) {
            (Place::Root, "apiVersion") => HeaderKey::ApiVersion,
            (Place::Root, "kind") => HeaderKey::Kind,
            (Place::Root, "metadata") => HeaderKey::Metadata,
            (Place::Metadata, "name") => HeaderKey::Name,
            (Place::Metadata, "namespace") => HeaderKey::Namespace,
            (Place::Metadata, "annotations") => HeaderKey::Annotations,
            (Place::Annotations, FILENAME_ANNOTATION) => HeaderKey::Filename,
            _ => HeaderKey::None,
        }
    }
}

fn record_header_field(header: &mut Header, key: HeaderKey, value: &str) {
    match key {
        HeaderKey::ApiVersion => header.api_version = value.to_owned(),
        HeaderKey::Kind => header.kind = value.to_owned(),
        HeaderKey::Name => header.name = Some(value.to_owned()),
        HeaderKey::Namespace => header.namespace = Some(value.to_owned()),
        HeaderKey::Filename => header.template = Some(value.to_owned()),
        HeaderKey::None | HeaderKey::Metadata | HeaderKey::Annotations => {}
    }
}

fn check_object(root: Root, header: &Header, at: Location) -> Result<(), StreamError> {
    let problem = match root {
        Root::Sequence => "the document is a list, not a Kubernetes object".to_owned(),
        Root::Scalar { .. } => "the document is a single value, not a Kubernetes object".to_owned(),
        Root::Mapping if header.api_version.is_empty() => "the object has no apiVersion".to_owned(),
        Root::Mapping if header.kind.is_empty() => "the object has no kind".to_owned(),
        Root::Mapping => return Ok(()),
    };
    Err(StreamError::NotAnObject { at, problem })
}

/// The template named by Helm 3's `# Source: <chart>/templates/x.yaml` comment.
pub fn source_comment(head: &str) -> Option<String> {
    head.lines()
        .find_map(|l| l.trim_start().strip_prefix("# Source: "))
        .map(|s| s.trim().to_owned())
}

/// Whether a document's head (the lines kept verbatim before its content) holds the root
/// node's properties (a tag, an anchor): `--- !tag`, or `!tag` on a line of its own.
pub fn head_has_properties(head: &str) -> bool {
    let mut found = false;
    for line in head.split(['\n', '\r']) {
        if line.starts_with('%') {
            continue; // a directive, before the `---` marker
        }
        let body = match line.strip_prefix("---") {
            Some(rest) if rest.is_empty() || rest.starts_with([' ', '\t']) => {
                found = false; // properties before a marker belong to no node of this one
                rest
            }
            _ => line,
        };
        let body = match body.find(" #").or(body.find("\t#")) {
            Some(i) => &body[..i],
            None if body.trim_start().starts_with('#') => "",
            None => body,
        };
        found |= !body.trim().is_empty();
    }
    found
}

/// Where the line holding `offset` starts. Lines end as YAML ends them: LF, CR LF, or a
/// lone CR (the parser's positions count all three).
fn line_start(source: &str, offset: usize) -> usize {
    source[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1)
}

/// Where the line after the one holding `offset` starts (the end of the text if none).
fn next_line_start(source: &str, offset: usize) -> usize {
    match source[offset..].find(['\n', '\r']) {
        Some(i) if source[offset + i..].starts_with("\r\n") => offset + i + 2,
        Some(i) => offset + i + 1,
        None => source.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::build::build;
    use crate::stream::tree::{Content, Node};

    /// Comments everywhere the builder keeps them, in the forms the parser reads.
    const COMMENTED: &[&str] = &[
        "# head\n---\n# Source: x\napiVersion: v1 # r1\n# above kind\nkind: A\nspec:\n  # first\n  a: 1\n  list:\n  # above item\n  - x # rx\n  -   # dash\n    y: 2\n  # trailing\nz: {a: 1, # in flow\n  b: 2}\n# tail\n",
        "apiVersion: v1\nkind: A\na: | # hdr\n  text # not\n  more\n\n# after block\nb: &x #c1\n  v\nc: \"q # not\" # yes\nd: !!str # t\n  w\ne:\n- - a # in\n  # own\n- ? k # kk\n  : v\nf: >- # folded\n  x\n  y\ng: |+\n  kept\n\n# own after keep\nh: 1\n",
        "apiVersion: v1\r\nkind: A # crlf\r\n# above\r\nx:\r\n  - 1 # one\r\n  # two\r\n  - 2\r\n",
        "apiVersion: v1\nkind: A\nlist: [a, # ra\n  b, # rb\n  # own in flow\n  c]\nmap:\n  k: v#not\n  q: 'x' # after quote\n  e: # empty\n  n:\n    # nested first\n    m: 1\n",
        "apiVersion: v1\nkind: A\nanchors:\n  base: &b # on anchor\n    x: 1\n  use:\n    <<: *b # merge\n    y: 2\n  tagged: !custom # on tag\n    z: 3\n---\napiVersion: v1\nkind: B\nk: |\n  no final break # text",
        "apiVersion: v1\nkind: A\nseq:\n# at the key's column\n- a\n-\t# after a tab\n  - nested # r\n  # own nested\n- # dash then map\n  m: 1\n  # end of map\n# end of seq\nafter: x # r\n# before next\n---\n# head of next\napiVersion: v1\nkind: B\n",
        "apiVersion: v1\nkind: A\n? complex # on key\n: value # on value\nquoted: 'it''s' # r\nplain: multi\n  line # r\nempty_flow: {} # r\nempty_seq: [] # r\nnull_value: # r\n# own before last\nlast: ~\n",
        "apiVersion: v1\nkind: A\nk: |2 # indented\n    two more\n  base\nm: >\n\n  folded after blank # text\nn: \"multi\n  line\" # r\nlast: 1 # last right\n",
    ];

    fn inputs() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut inputs: Vec<(String, String)> = COMMENTED
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("commented {i}"), (*t).to_owned()))
            .collect();
        let mut dirs = vec![
            root.join("examples"),
            root.join("tests/golden/render"),
            root.join("fuzz/corpus/render"),
            root.join("../shared/data/corpora"),
        ];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if let Ok(text) = std::fs::read_to_string(&path) {
                    inputs.push((path.display().to_string(), text));
                }
            }
        }
        inputs
    }

    /// The node without where it is written (offsets and lines differ between a document
    /// read alone and read in its stream).
    fn unplaced(node: &Node) -> Node {
        let mut node = node.clone();
        fn strip(node: &mut Node) {
            node.written = None;
            match &mut node.content {
                Content::Mapping(entries) => {
                    for e in entries {
                        strip(&mut e.key);
                        strip(&mut e.value);
                    }
                }
                Content::Sequence(items) => {
                    for i in items {
                        strip(&mut i.value);
                    }
                }
                Content::Scalar(_) => {}
            }
        }
        strip(&mut node);
        node
    }

    /// A stream read in two halves on two threads gives the same documents, trees and
    /// recorded values as read whole, cut at any of its document start lines; and fails
    /// (to be read whole, for the exact error) exactly where the whole fails.
    #[test]
    fn a_stream_read_in_two_halves_reads_as_a_whole() {
        let limits = Limits::default();
        let fields = Fields::new(["/spec/template/spec/serviceAccountName", "/metadata/labels"]);
        let mut cuts = 0;
        for (name, text) in inputs() {
            let every = Prebuild {
                kinds: [
                    "Deployment",
                    "ServiceAccount",
                    "ConfigMap",
                    "StatefulSet",
                    "Job",
                ]
                .map(str::to_owned)
                .to_vec(),
                wanted: Box::new(|_, _| true),
            };
            let whole = scan_with(&text, &limits, Expect::Objects, &fields, None, Some(&every));
            let markers: Vec<usize> = text
                .match_indices("\n---")
                .map(|(i, _)| i + 1)
                .filter(|&i| {
                    matches!(
                        text.as_bytes().get(i + 3),
                        None | Some(b' ' | b'\t' | b'\n')
                    )
                })
                .collect();
            let picks = [
                markers.first(),
                markers.get(markers.len() / 2),
                markers.last(),
            ];
            for &split in picks.into_iter().flatten() {
                let halves = scan_in_two(
                    &text,
                    split,
                    &limits,
                    Expect::Objects,
                    &fields,
                    Some(&every),
                );
                match (&whole, halves) {
                    (Ok(whole), Some(halves)) => {
                        cuts += 1;
                        assert_eq!(whole.len(), halves.len(), "{name} cut at {split}");
                        for (i, (w, h)) in whole.iter().zip(&halves).enumerate() {
                            let (w, h) = (format!("{w:?}"), format!("{h:?}"));
                            let at = w.bytes().zip(h.bytes()).position(|(a, b)| a != b);
                            let around = |t: &str, at: usize| {
                                t.get(at.saturating_sub(120)..(at + 60).min(t.len()))
                                    .unwrap_or_default()
                                    .to_owned()
                            };
                            if let Some(at) = at {
                                panic!(
                                    "{name} cut at {split}, document {}: whole {} / halves {}",
                                    i + 1,
                                    around(&w, at),
                                    around(&h, at)
                                );
                            }
                            assert_eq!(
                                w.len(),
                                h.len(),
                                "{name} cut at {split}, document {}",
                                i + 1
                            );
                        }
                    }
                    (Err(_), None) => {}
                    // Comments only before the cut: read whole.
                    (Ok(_), None)
                        if text[..split].lines().all(|l| {
                            let l = l.trim();
                            l.is_empty() || l.starts_with('#') || l == "---"
                        }) => {}
                    (whole, halves) => panic!(
                        "{name} cut at {split}: whole {}, halves {}",
                        if whole.is_ok() { "reads" } else { "fails" },
                        if halves.is_some() { "read" } else { "fail" }
                    ),
                }
            }
        }
        assert!(cuts > 40, "only {cuts} cuts compared");
    }

    #[test]
    fn a_stream_is_cut_at_the_first_document_start_after_its_middle() {
        let document =
            "---\napiVersion: v1\nkind: ConfigMap\ndata:\n  a: |\n    --- not a marker\n";
        let text = document.repeat(PARALLEL_SCAN_BYTES / document.len() + 2);
        let split = parallel_split(&text).expect("large enough");
        assert!(split >= text.len() / 2 && split - text.len() / 2 <= document.len());
        assert!(text[split..].starts_with("---\napiVersion"));
        assert_eq!(parallel_split(&text[..PARALLEL_SCAN_BYTES - 1]), None);
        assert_eq!(parallel_split(&format!("%YAML 1.2\n{text}")), None);
        assert_eq!(parallel_split(&text.replace('\n', "\r\n")), None);
    }

    #[test]
    fn trees_built_while_reading_are_those_built_from_the_document_alone() {
        let limits = Limits::default();
        let fields = Fields::new(["/spec/template/spec/serviceAccountName"]);
        let mut compared = 0;
        for (name, text) in inputs() {
            let plain = match scan(&text, &limits, Expect::Objects, &fields, None) {
                Ok(plain) => plain,
                // Not a stream of objects: nothing to build.
                Err(_) if !name.starts_with("commented") => continue,
                Err(e) => panic!("{name}: {e}"),
            };
            let mut kinds: Vec<String> = plain
                .iter()
                .filter_map(|d| match &d.body {
                    ScannedBody::Object { header, .. } => Some(header.kind.clone()),
                    ScannedBody::Empty => None,
                })
                .collect();
            kinds.sort();
            kinds.dedup();
            let every = Prebuild {
                kinds,
                wanted: Box::new(|_, _| true),
            };
            let built = scan(&text, &limits, Expect::Objects, &fields, Some(&every))
                .expect("reads as without building");
            assert_eq!(built.len(), plain.len(), "{name}");
            for (i, doc) in built.iter().enumerate() {
                let ScannedBody::Object {
                    head_end,
                    tail_start,
                    ..
                } = &doc.body
                else {
                    continue;
                };
                let alone = build(
                    &text[doc.range.clone()],
                    (head_end - doc.range.start)..(tail_start - doc.range.start),
                    limits.max_depth,
                );
                let (Some(tree), Ok(alone)) = (&doc.tree, alone) else {
                    panic!(
                        "{name}, document {}: built {} alone {}",
                        i + 1,
                        doc.tree.is_some(),
                        "?"
                    );
                };
                compared += 1;
                assert_eq!(
                    unplaced(&tree.root),
                    unplaced(&alone.root),
                    "{name}, document {}",
                    i + 1
                );
                assert_eq!(tree.layout, alone.layout, "{name}, document {}", i + 1);
            }
        }
        assert!(compared > 500, "only {compared} documents compared");
    }

    #[test]
    fn documents_no_prebuild_wants_are_not_built() {
        let text = "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n---\napiVersion: v1\nkind: A\nmetadata: {name: c}\n";
        let only_a_named_c = Prebuild {
            kinds: vec!["A".to_owned()],
            wanted: Box::new(|h, _| h.name.as_deref() == Some("c")),
        };
        let docs = scan(
            text,
            &Limits::default(),
            Expect::Objects,
            &Fields::default(),
            Some(&only_a_named_c),
        )
        .unwrap();
        let built: Vec<bool> = docs.iter().map(|d| d.tree.is_some()).collect();
        assert_eq!(built, [false, false, true]);
    }
}

//! The manifest stream: the multi-document YAML that Helm hands a post-renderer.
//!
//! Reading keeps every byte of the input. Documents that no filter changes are written back
//! byte for byte; a changed document keeps its leading lines (`---`, `# Source:`) and
//! trailing lines verbatim and has its content re-written from a tree that remembers how
//! every scalar was written, so that YAML 1.1 readers (Kubernetes) read the same data plus
//! the change, and nothing else.
//!
//! Reading is one pass of YAML events over the whole stream (the syntax check of every
//! document, and the budget); on the way it records the few fields filters look at in many
//! documents (`Stream::parse_recording`, `Stream::pointer`). A document's tree is built only
//! when a filter reads it in full or changes it: on the way, from the events read, for the
//! documents filters say they are about to change (`Stream::parse_prebuilding`), or later,
//! by reading the document's text again.

mod build;
mod edit;
mod editor;
mod emit;
mod error;
mod fields;
mod limits;
mod resolve;
mod scan;
mod tree;

use std::io::{Read, Write};

use json_patch::PatchOperation;
use serde_json::Value;

use build::TreeBuilder;
pub use edit::EditError;
pub use editor::{Edit, Path};
pub use emit::{Layout, emit, emit_into};
pub use error::{Location, StreamError};
pub use fields::{Field, Fields};
pub use limits::Limits;
pub use resolve::{plain_is_unambiguous, resolve_plain};
pub use scan::{FILENAME_ANNOTATION, Header, Prebuild};
pub use tree::{Comments, Content, Entry, Item, Node, Scalar, ScalarStyle, Written, json_key_of};

use build::Tree;
use scan::{Scanned, ScannedBody};

/// One Kubernetes object in the stream: a document, or an item of a `kind: List` document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    /// The 0-based index of the document in the stream.
    pub document: usize,
    /// The 0-based index in the `items` of a `kind: List` document; none for a whole document.
    pub item: Option<usize>,
}

/// The form in which Helm handed the stream over; added documents follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelmForm {
    /// `# Source:` comments (Helm 3, `helm template`, or no Helm at all).
    SourceComments,
    /// `postrenderer.helm.sh/postrender-filename` annotations (Helm 4).
    FilenameAnnotations,
}

/// A parsed manifest stream: its documents (kept as written until changed) and the objects filters
/// added.
pub struct Stream {
    source: String,
    documents: Vec<Document>,
    /// Objects added by filters: (template name, object).
    added: Vec<(String, Node)>,
    limits: Limits,
    form: HelmForm,
    /// The fields the scan recorded in every document.
    fields: Fields,
}

struct Document {
    scanned: Scanned,
    tree: Option<Tree>,
    /// Headers of the items of a `kind: List`.
    items: Vec<Header>,
    changed: bool,
    /// Where edits changed the document's data: the parent of each operation's path (an
    /// added or removed item shifts its siblings), escaped. Recorded fields elsewhere still
    /// answer as the scan read them.
    changed_at: Vec<json_patch::jsonptr::PointerBuf>,
}

impl Document {
    /// The selecting fields of the document (`item`: `None`), or of an item of its List.
    fn header(&self, item: Option<usize>) -> &Header {
        match (item, &self.scanned.body) {
            (Some(i), _) => &self.items[i],
            (None, ScannedBody::Object { header, .. }) => header,
            (None, ScannedBody::Empty) => unreachable!("ObjectRef never names an empty document"),
        }
    }

    /// The document's tree (it is document `index` of `source`), built when first needed.
    fn tree(
        &mut self,
        source: &str,
        limits: &Limits,
        index: usize,
    ) -> Result<&mut Tree, StreamError> {
        if self.tree.is_none() {
            self.tree = Some(self.build_tree(source, limits, index)?);
        }
        Ok(self.tree.as_mut().expect("built above"))
    }

    fn build_tree(&self, source: &str, limits: &Limits, index: usize) -> Result<Tree, StreamError> {
        let doc = &self.scanned;
        let ScannedBody::Object {
            head_end,
            tail_start,
            ..
        } = &doc.body
        else {
            unreachable!("only objects are opened");
        };
        let text = &source[doc.range.clone()];
        let content = (head_end - doc.range.start)..(tail_start - doc.range.start);
        build::build(text, content, limits.max_depth).map_err(|message| StreamError::Syntax {
            at: self.location(index),
            message: format!("cannot re-read the document on its own: {message}"),
        })
    }

    fn location(&self, index: usize) -> Location {
        let doc = &self.scanned;
        Location {
            document: index + 1,
            line: doc.line,
            column: 1,
            template: match &doc.body {
                ScannedBody::Object { header, .. } => header.template.clone(),
                ScannedBody::Empty => None,
            },
        }
    }

    /// [`Stream::edit`] of `object`, which is in this document.
    fn edit(
        &mut self,
        source: &str,
        limits: &Limits,
        object: ObjectRef,
        f: impl FnOnce(&mut Edit<'_>),
    ) -> Result<Vec<PatchOperation>, StreamError> {
        let item_path = object.item.map(|i| vec!["items".to_owned(), i.to_string()]);
        let tree = self.tree(source, limits, object.document)?;
        let root = match &item_path {
            Some(path) => tree
                .root
                .pointer_mut(path)
                .expect("a List item the scan read is in the tree"),
            None => &mut tree.root,
        };
        let mut edit = Edit::new(root);
        f(&mut edit);
        let result = edit.finish();
        let ops = result.map_err(|source| StreamError::Edit {
            document: object.document + 1,
            object: self.header(object.item).display_name(),
            source,
        })?;
        if ops.is_empty() {
            return Ok(ops);
        }
        let Some(path) = item_path else {
            self.record_changed(&ops);
            return Ok(ops);
        };
        let tree = self.tree(source, limits, object.document)?;
        let item = tree.root.pointer(&path).map(Node::to_json);
        if let Some(header) = item.as_ref().and_then(item_header) {
            self.items[object.item.expect("an item")] = header;
        }
        let prefix = json_patch::jsonptr::PointerBuf::from_tokens(path.iter().map(String::as_str));
        let ops: Vec<PatchOperation> = ops
            .into_iter()
            .map(|op| editor::prefixed(op, &prefix))
            .collect();
        self.record_changed(&ops);
        Ok(ops)
    }

    /// Whether the value at `pointer` is still the one the scan read: no edit changed it, an
    /// ancestor of it, or something inside it.
    fn unchanged_at(&self, pointer: &str) -> bool {
        if !self.changed {
            return true;
        }
        if json_patch::jsonptr::Pointer::parse(pointer).is_err() {
            return false;
        }
        self.changed_at.iter().all(|at| {
            !is_token_prefix(at.as_str(), pointer) && !is_token_prefix(pointer, at.as_str())
        })
    }

    /// Records that the operations `ops` changed the document: where (the parents of the
    /// paths they change, each once).
    fn record_changed(&mut self, ops: &[PatchOperation]) {
        self.changed = true;
        for at in ops.iter().flat_map(changed_parents) {
            if !self.changed_at.contains(&at) {
                self.changed_at.push(at);
            }
        }
    }
}

/// The largest stream read whatever the limits say: 4 GiB less one byte, so that every
/// offset in it fits the 32 bits a tree node keeps ([`Written`]).
pub const MAX_INPUT_BYTES: usize = u32::MAX as usize;

/// Reads at most `limits.max_bytes` bytes (and never more than [`MAX_INPUT_BYTES`]) and
/// checks they are UTF-8 text.
pub fn read_input(mut input: impl Read, limits: &Limits) -> Result<String, StreamError> {
    let limit = limits.max_bytes.min(MAX_INPUT_BYTES);
    let mut bytes = Vec::new();
    input
        .by_ref()
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(StreamError::TooLarge { limit });
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let text = String::from_utf8_lossy(valid);
        StreamError::InvalidUtf8 {
            at: text_location(&text, text.len()),
        }
    })
}

/// Runs `first` on this thread and `second` on the helper thread at the same time; both
/// results. A panic on either is raised again here once both are done. (Reading, editing,
/// writing and freeing a big stream share their work this way.)
///
/// The helper is one thread started on first use and kept for the process (a rayon pool of
/// one): handing it work takes 10 to 25 µs on the two-core VM the benchmarks run on, where
/// starting a thread for each call took 35 to 70 µs, a render's three calls about 8% of the
/// platform example's time. One helper, not a pool per core, so that its waiting for work
/// never takes the second core from this thread.
pub(crate) fn on_two_threads<A, B: Send>(
    first: impl FnOnce() -> A,
    second: impl FnOnce() -> B + Send,
) -> (A, B) {
    let Some(helper) = helper() else {
        // No thread to be had: one after the other.
        return (first(), second());
    };
    let mut second_result = None;
    let first_result = helper.in_place_scope(|scope| {
        scope.spawn(|_| second_result = Some(second()));
        first()
    });
    match second_result {
        Some(second_result) => (first_result, second_result),
        // Not reached: the scope returns once the second part has run, and raises its panic.
        None => unreachable!("the helper thread ran the second part"),
    }
}

/// The helper thread of [`on_two_threads`] (a rayon pool of one thread); `None` when the
/// system would not start a thread.
fn helper() -> Option<&'static rayon_core::ThreadPool> {
    static HELPER: std::sync::OnceLock<Option<rayon_core::ThreadPool>> = std::sync::OnceLock::new();
    HELPER
        .get_or_init(|| {
            rayon_core::ThreadPoolBuilder::new()
                .num_threads(1)
                .thread_name(|_| "kubectl-smi-helper".to_owned())
                .build()
                .ok()
        })
        .as_ref()
}

/// Objects to edit from which [`Stream::edit_each`] uses the helper thread: a workload's
/// secret references take 5 to 10 µs to edit, so 16 of them take several times the 10 to
/// 25 µs of handing the helper its half (the platform example has 18).
pub const PARALLEL_EDITS: usize = 16;

/// Bytes of documents to re-write from which [`Stream::write`] uses a second thread: a
/// few hundred microseconds of writing, several times what starting a thread costs.
pub const PARALLEL_WRITE_BYTES: usize = 32 * 1024;

/// Whether a second thread can run beside this one: the machine, or the container's CPU
/// quota and affinity (which `available_parallelism` reads), allows two at once. Asked once
/// per process: reading the cgroup files each time cost about 2% of rendering the
/// platform example.
pub(crate) fn has_two_cores() -> bool {
    static TWO: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TWO.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2)
}

/// Whether the JSON pointer `prefix` is `pointer` or one of its ancestors (token by token:
/// `/a/b` is one of `/a/b/c`'s, not of `/a/bc`'s). Both are escaped (RFC 6901), where only
/// `/` separates tokens, so comparing the text is comparing the tokens.
fn is_token_prefix(prefix: &str, pointer: &str) -> bool {
    pointer.starts_with(prefix)
        && (pointer.len() == prefix.len() || pointer.as_bytes()[prefix.len()] == b'/')
}

/// The parents of the paths an operation changes (its `from` too, for `move` and `copy`):
/// values under them, or above them, are no longer the ones the scan read.
fn changed_parents(op: &PatchOperation) -> Vec<json_patch::jsonptr::PointerBuf> {
    let from = match op {
        PatchOperation::Move(m) => Some(&m.from),
        PatchOperation::Copy(c) => Some(&c.from),
        _ => None,
    };
    [Some(op.path()), from.map(|f| f.as_ref())]
        .into_iter()
        .flatten()
        .map(|path| path.parent().unwrap_or(path).to_buf())
        .collect()
}

/// Line, column and document number of a byte offset, by counting separators.
fn text_location(text: &str, offset: usize) -> Location {
    let before = &text[..offset];
    let line = 1 + before.matches('\n').count();
    let column = 1 + before.rsplit('\n').next().map_or(0, |l| l.chars().count());
    let is_separator = |l: &str| l == "---" || l.starts_with("--- ");
    let separators = before.split('\n').filter(|l| is_separator(l)).count();
    // The first document is number 1 whether or not it opens with `---`.
    let document = if before.split('\n').next().is_some_and(is_separator) {
        separators.max(1)
    } else {
        separators + 1
    };
    Location {
        document,
        line,
        column,
        template: before.rsplit("\n---").next().and_then(scan::source_comment),
    }
}

impl Stream {
    /// Reads the stream (one pass of YAML events), checking it against `limits`.
    /// Errors: [`StreamError`] for broken YAML, a document that is not an object, or a budget
    /// exceeded.
    pub fn parse(source: String, limits: Limits) -> Result<Stream, StreamError> {
        Stream::parse_recording(source, limits, Fields::default())
    }

    /// Reads the stream and records the values at `fields` in every document on the way,
    /// so that `pointer` answers them without building the document's tree.
    pub fn parse_recording(
        source: String,
        limits: Limits,
        fields: Fields,
    ) -> Result<Stream, StreamError> {
        Stream::parse_prebuilding(source, limits, fields, None)
    }

    /// [`Stream::parse_recording`], building on the way the trees of the documents
    /// `prebuild` wants (see [`Prebuild`]): the same trees as built later, without reading
    /// those documents a second time.
    pub fn parse_prebuilding(
        source: String,
        limits: Limits,
        fields: Fields,
        prebuild: Option<&Prebuild<'_>>,
    ) -> Result<Stream, StreamError> {
        let scanned = scan::scan(&source, &limits, scan::Expect::Objects, &fields, prebuild)?;
        let mut stream = Stream {
            documents: scanned
                .into_iter()
                .map(|mut scanned| Document {
                    tree: scanned.tree.take(),
                    scanned,
                    items: Vec::new(),
                    changed: false,
                    changed_at: Vec::new(),
                })
                .collect(),
            source,
            added: Vec::new(),
            limits,
            form: HelmForm::SourceComments,
            fields,
        };
        stream.form = stream.detect_form();
        stream.read_lists()?;
        Ok(stream)
    }

    /// `kind: List` documents are opened at once so that filters see their items.
    fn read_lists(&mut self) -> Result<(), StreamError> {
        for index in 0..self.documents.len() {
            let is_list = matches!(&self.documents[index].scanned.body,
                ScannedBody::Object { header, .. } if header.kind == "List");
            if !is_list {
                continue;
            }
            let json = self.document_json(index)?;
            let items = json
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut headers = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let header = item_header(item).ok_or_else(|| StreamError::NotAnObject {
                    at: self.location(index),
                    problem: format!("item {i} of the List has no apiVersion or kind"),
                })?;
                headers.push(header);
            }
            self.documents[index].items = headers;
        }
        Ok(())
    }

    /// Every object of the stream in order: documents, and the items of `kind: List`s.
    pub fn objects(&self) -> Vec<ObjectRef> {
        let mut refs = Vec::new();
        for (document, doc) in self.documents.iter().enumerate() {
            let ScannedBody::Object { header, .. } = &doc.scanned.body else {
                continue;
            };
            if header.kind == "List" {
                refs.extend((0..doc.items.len()).map(|i| ObjectRef {
                    document,
                    item: Some(i),
                }));
            } else {
                refs.push(ObjectRef {
                    document,
                    item: None,
                });
            }
        }
        refs
    }

    /// The selecting fields (apiVersion, kind, name, namespace, template) of an object.
    pub fn header(&self, object: ObjectRef) -> &Header {
        self.documents[object.document].header(object.item)
    }

    /// The form of the stream, for added documents: Helm 4 annotations or `# Source:` comments.
    pub fn form(&self) -> HelmForm {
        self.form
    }

    fn detect_form(&self) -> HelmForm {
        let annotated = self.documents.iter().any(|d| {
            matches!(&d.scanned.body, ScannedBody::Object { header, .. }
                if header.template.is_some()
                    && scan::source_comment(&self.source[d.scanned.range.clone()]).is_none())
        });
        if annotated {
            HelmForm::FilenameAnnotations
        } else {
            HelmForm::SourceComments
        }
    }

    /// The object as Kubernetes reads it, as JSON.
    pub fn json(&mut self, object: ObjectRef) -> Result<Value, StreamError> {
        let json = self.document_json(object.document)?;
        Ok(match object.item {
            Some(i) => json["items"][i].clone(),
            None => json,
        })
    }

    /// The value at a JSON pointer of the object: `json(object)?.pointer(pointer)`, answered
    /// from what the scan recorded when it can (then no tree is built): while no change was
    /// made to the document, whether its tree is built or not.
    pub fn pointer(
        &mut self,
        object: ObjectRef,
        pointer: &str,
    ) -> Result<Option<Value>, StreamError> {
        let doc = &self.documents[object.document];
        if object.item.is_none()
            && let Some(recorded) = &doc.scanned.recorded
            && let Some((leaf, rest)) = self.fields.lookup(pointer)
            && doc.unchanged_at(pointer)
            && let Some(value) = fields::answer(recorded, leaf, rest)
        {
            return Ok(value);
        }
        let Ok(parsed) = json_patch::jsonptr::Pointer::parse(pointer) else {
            return Ok(None);
        };
        let mut tokens: Vec<String> = parsed.tokens().map(|t| t.decoded().into_owned()).collect();
        if let Some(i) = object.item {
            tokens.splice(0..0, ["items".to_owned(), i.to_string()]);
        }
        let tree = self.tree(object.document)?;
        Ok(tree.root.json_at(&tokens))
    }

    fn document_json(&mut self, index: usize) -> Result<Value, StreamError> {
        Ok(self.tree(index)?.root.to_json())
    }

    fn tree(&mut self, index: usize) -> Result<&mut Tree, StreamError> {
        self.documents[index].tree(&self.source, &self.limits, index)
    }

    fn build_tree(&self, index: usize) -> Result<Tree, StreamError> {
        self.documents[index].build_tree(&self.source, &self.limits, index)
    }

    fn location(&self, index: usize) -> Location {
        self.documents[index].location(index)
    }

    /// Changes the object through `f`, which edits its tree in place (see [`Edit`]), and
    /// returns the change as the RFC 6902 operations a JSON diff of the object before and
    /// after gives (empty when nothing changed; paths start at the document, so a List item's
    /// paths start with `/items/<i>`). Errors: [`StreamError::Edit`] when an edit cannot be
    /// applied, or the errors of reading the document's tree.
    pub fn edit(
        &mut self,
        object: ObjectRef,
        f: impl FnOnce(&mut Edit<'_>),
    ) -> Result<Vec<PatchOperation>, StreamError> {
        self.documents[object.document].edit(&self.source, &self.limits, object, f)
    }

    /// [`Stream::edit`] of the object of each job, through `f`, in order; the results in the
    /// jobs' order. `jobs` name objects in stream order (as [`Stream::objects`] gives them):
    /// from [`PARALLEL_EDITS`] of them, on a two-core machine, the second half of the
    /// documents is edited on a second thread at the same time (each document's edits stay
    /// on one thread, in order). The trees and results are the same as editing one by one;
    /// the edits after a failed one are still made (the caller fails as a whole).
    pub fn edit_each<J: Sync>(
        &mut self,
        jobs: &[J],
        object_of: impl Fn(&J) -> ObjectRef + Sync,
        f: impl Fn(&mut Edit<'_>, &J) + Sync,
    ) -> Vec<Result<Vec<PatchOperation>, StreamError>> {
        let Stream {
            documents,
            source,
            limits,
            ..
        } = self;
        let edit_run = |documents: &mut [Document], first: usize, jobs: &[J]| {
            jobs.iter()
                .map(|job| {
                    let object = object_of(job);
                    documents[object.document - first].edit(source, limits, object, |e| f(e, job))
                })
                .collect::<Vec<_>>()
        };
        let in_order = jobs
            .windows(2)
            .all(|pair| object_of(&pair[0]).document <= object_of(&pair[1]).document);
        // The first job of the second half: the first one, from the middle on, that starts a
        // document (a List's items stay together).
        let split = (in_order && jobs.len() >= PARALLEL_EDITS && has_two_cores())
            .then(|| {
                (jobs.len() / 2..jobs.len())
                    .find(|&k| object_of(&jobs[k]).document != object_of(&jobs[k - 1]).document)
            })
            .flatten();
        let Some(split) = split else {
            return edit_run(documents, 0, jobs);
        };
        let cut = object_of(&jobs[split]).document;
        let (first_documents, second_documents) = documents.split_at_mut(cut);
        let (first_jobs, second_jobs) = jobs.split_at(split);
        let (mut first, second) = on_two_threads(
            || edit_run(first_documents, 0, first_jobs),
            || edit_run(second_documents, cut, second_jobs),
        );
        first.extend(second);
        first
    }

    /// Adds a new object at the end of the stream, named `template` for Helm (`# Source:`
    /// comment, or the Helm 4 filename annotation); returns the object as written.
    pub fn add(&mut self, template: &str, mut object: Value) -> Value {
        if self.form() == HelmForm::FilenameAnnotations
            && let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut)
        {
            let annotations = meta
                .entry("annotations")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(a) = annotations.as_object_mut() {
                a.insert(
                    FILENAME_ANNOTATION.to_owned(),
                    Value::String(template.to_owned()),
                );
            }
        }
        self.added
            .push((template.to_owned(), Node::from_json(&object)));
        object
    }

    /// Writes the stream: unchanged documents verbatim, changed ones re-written, added ones last.
    /// When the documents to re-write are many (at least [`PARALLEL_WRITE_BYTES`] of them),
    /// the second half of the stream is written on a second thread at the same time: the
    /// output is the same bytes.
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        let reemitted = self.last_block_scalar_reemitted();
        let count = self.documents.len();
        let mut text = String::new();
        match self.parallel_split() {
            Some(split) => {
                let (first, second) = on_two_threads(
                    || self.write_documents(0..split, reemitted.as_ref(), out),
                    || {
                        let from = self.documents[split].scanned.range.start;
                        debug_assert!(
                            split < count,
                            "parallel_split leaves the second half documents"
                        );
                        let mut second = Vec::with_capacity((self.source.len() - from) * 17 / 16);
                        self.write_documents(split..count, reemitted.as_ref(), &mut second)
                            .map(|()| second)
                    },
                );
                first?;
                out.write_all(&second?)?;
            }
            None => self.write_documents(0..count, reemitted.as_ref(), out)?,
        }
        let mut ends_with_newline = match self
            .documents
            .iter()
            .rev()
            .find(|d| !d.scanned.range.is_empty())
        {
            Some(doc) => self.source[..doc.scanned.range.end].ends_with('\n'),
            None => true,
        };
        if self.documents.is_empty() {
            out.write_all(self.source.as_bytes())?;
            ends_with_newline = self.source.is_empty() || self.source.ends_with('\n');
        }
        for (template, node) in &self.added {
            if !ends_with_newline {
                out.write_all(b"\n")?;
                ends_with_newline = true;
            }
            match self.form() {
                HelmForm::SourceComments => write!(out, "---\n# Source: {template}\n")?,
                HelmForm::FilenameAnnotations => out.write_all(b"---\n")?,
            }
            text.clear();
            emit_into(node, Layout::default(), &mut text);
            out.write_all(text.as_bytes())?;
        }
        Ok(())
    }

    /// Frees the stream. When [`Stream::write`] shares the writing between two threads, the
    /// freeing is shared the same way: each tree is a free per node, about a tenth of the
    /// time of a stream whose every document changes.
    pub fn free(mut self) {
        match self.parallel_split() {
            Some(split) => {
                let second = self.documents.split_off(split);
                on_two_threads(move || drop(self), move || drop(second));
            }
            None => drop(self),
        }
    }

    /// The documents of `range`, written to `out`: unchanged ones verbatim, changed ones
    /// re-written (and the last one through `reemitted`, when given).
    fn write_documents(
        &self,
        range: std::ops::Range<usize>,
        reemitted: Option<&Tree>,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        let last = self.documents.len().saturating_sub(1);
        // A changed document is written here first, then all at once.
        let mut text = String::new();
        for index in range {
            let doc = &self.documents[index];
            let range = doc.scanned.range.clone();
            let tree = match (&doc.tree, doc.changed) {
                (Some(tree), true) => Some(tree),
                _ if index == last => reemitted,
                _ => None,
            };
            match (tree, &doc.scanned.body) {
                (
                    Some(tree),
                    ScannedBody::Object {
                        head_end,
                        tail_start,
                        ..
                    },
                ) => {
                    let head = &self.source[range.start..*head_end];
                    text.clear();
                    text.push_str(head);
                    if tree.root.tag.is_some() && scan::head_has_properties(head) {
                        // The head already carries the root's tag: not written twice.
                        let untagged = Node {
                            tag: None,
                            ..tree.root.clone()
                        };
                        emit_into(&untagged, tree.layout, &mut text);
                    } else {
                        emit_into(&tree.root, tree.layout, &mut text);
                    }
                    text.push_str(&self.source[*tail_start..range.end]);
                    out.write_all(text.as_bytes())?;
                }
                _ => out.write_all(self.source[range].as_bytes())?,
            }
        }
        Ok(())
    }

    /// Where to cut the documents in two for writing on two threads: `None` when the
    /// documents to re-write are too few for a second thread to pay, or when the machine
    /// has one core.
    fn parallel_split(&self) -> Option<usize> {
        let rewritten = |d: &Document| d.changed && d.tree.is_some();
        let size = |d: &Document| d.scanned.range.len();
        let total: usize = self
            .documents
            .iter()
            .filter(|d| rewritten(d))
            .map(size)
            .sum();
        if total < PARALLEL_WRITE_BYTES || !has_two_cores() {
            return None;
        }
        let mut seen = 0;
        self.documents
            .iter()
            .position(|d| {
                if rewritten(d) {
                    seen += size(d);
                }
                seen >= total / 2
            })
            .map(|i| i + 1)
            .filter(|&split| split < self.documents.len())
    }

    /// The last document's tree, when objects are added after it, the input ends without a
    /// line break and the document's content ends with a block scalar (`|`, `>`) on that
    /// last line: the line break written before the added objects would add a line break
    /// to that scalar's value, so the document is written through the emitter instead
    /// (which gives the scalar the chomping indicator that keeps its value).
    fn last_block_scalar_reemitted(&self) -> Option<Tree> {
        if self.added.is_empty() || self.source.ends_with(['\n', '\r']) {
            return None;
        }
        let index = self.documents.len().checked_sub(1)?;
        let doc = &self.documents[index];
        let ScannedBody::Object { tail_start, .. } = &doc.scanned.body else {
            return None;
        };
        if doc.changed
            || self.source[*tail_start..doc.scanned.range.end]
                .contains(|c: char| !c.is_whitespace())
        {
            return None;
        }
        let tree = self.build_tree(index).ok()?;
        let mut node = &tree.root;
        loop {
            node = match &node.content {
                Content::Mapping(entries) => &entries.last()?.value,
                Content::Sequence(items) => &items.last()?.value,
                Content::Scalar(s) => {
                    let block = matches!(s.style, ScalarStyle::Literal | ScalarStyle::Folded);
                    return block.then_some(tree);
                }
            };
        }
    }

    /// About how many bytes `write` writes: the input, and some room for changes.
    pub fn output_size_hint(&self) -> usize {
        self.source.len() + self.source.len() / 16 + 4096
    }

    /// Re-writes a document through the tree without changing its data: the output then
    /// shows how kubectl-smi writes documents it changes (`render --rewrite-all`).
    pub fn rewrite(&mut self, object: ObjectRef) -> Result<(), StreamError> {
        self.tree(object.document)?;
        self.documents[object.document].changed = true;
        Ok(())
    }

    /// Number of documents whose tree has been built (read in full, changed or re-written).
    pub fn trees_built(&self) -> usize {
        self.documents.iter().filter(|d| d.tree.is_some()).count()
    }

    /// Number of documents read (empty ones included).
    pub fn document_count(&self) -> usize {
        self.documents.len()
    }

    /// 1-based line where a document starts in the input.
    pub fn document_line(&self, object: ObjectRef) -> usize {
        self.documents[object.document].scanned.line
    }
}

/// Reads a single-document YAML file (a values file) the way Helm reads it (YAML 1.1
/// scalars), within the same budget as manifests. An empty file is `None`.
pub fn read_yaml_document(text: &str, limits: &Limits) -> Result<Option<Node>, StreamError> {
    // One pass of the parser: the scan checks syntax and budget while the tree is built.
    let mut builder = TreeBuilder::new(text, 0..text.len());
    let docs = scan::scan_building(
        text,
        limits,
        scan::Expect::AnyYaml,
        &Fields::default(),
        Some(&mut builder),
    )?;
    if docs.len() > 1 {
        return Err(StreamError::NotAnObject {
            at: Location {
                document: 2,
                line: docs[1].line,
                column: 1,
                template: None,
            },
            problem: "a values file holds one YAML document; remove the `---` separator".to_owned(),
        });
    }
    let Some(doc) = docs.into_iter().next() else {
        return Ok(None);
    };
    if let ScannedBody::Empty = doc.body {
        return Ok(None);
    }
    let tree = builder.finish().ok_or_else(|| StreamError::Syntax {
        at: Location {
            document: 1,
            line: doc.line,
            column: 1,
            template: None,
        },
        message: "the document has no content".to_owned(),
    })?;
    Ok(Some(tree.root))
}

fn item_header(item: &Value) -> Option<Header> {
    let api_version = item.get("apiVersion")?.as_str()?.to_owned();
    let kind = item.get("kind")?.as_str()?.to_owned();
    let meta = item.get("metadata");
    let text = |key: &str| {
        meta.and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Some(Header {
        api_version,
        kind,
        name: text("name"),
        namespace: text("namespace"),
        template: meta
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(FILENAME_ANNOTATION))
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(tokens: &[&str]) -> Vec<String> {
        tokens.iter().map(|t| (*t).to_owned()).collect()
    }

    /// A stream with many documents to re-write is written on two threads: the same bytes,
    /// in the same order, as on one.
    #[test]
    fn a_stream_written_on_two_threads_is_the_same_bytes() {
        let document = |i: usize| {
            format!(
                "---\n# Source: chart/templates/c{i}.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  labels: {{a: \"{i}\"}}\ndata:\n  key: 'value {i}'  # note\n  on: yes\n"
            )
        };
        let text: String = (0..4000).map(document).collect();
        let mut stream = Stream::parse(text, Limits::default()).unwrap();
        for object in stream.objects() {
            stream.rewrite(object).unwrap();
        }
        let count = stream.document_count();
        let split = stream
            .parallel_split()
            .expect("enough to write on two threads");
        assert!(
            split > count / 3 && split < count * 2 / 3,
            "{split} of {count}"
        );
        let mut parallel = Vec::new();
        stream.write(&mut parallel).unwrap();
        let mut one_thread = Vec::new();
        stream
            .write_documents(0..count, None, &mut one_thread)
            .unwrap();
        let one_thread = String::from_utf8(one_thread).unwrap();
        assert!(
            one_thread.contains("  labels:\n    a: \"1\"\n"),
            "re-written"
        );
        assert_eq!(String::from_utf8(parallel).unwrap(), one_thread);

        // One large document: nothing to share.
        let data: String = (0..3000).map(|i| format!("  k{i}: v{i}\n")).collect();
        let text =
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n{data}");
        let mut stream = Stream::parse(text.clone(), Limits::default()).unwrap();
        for object in stream.objects() {
            stream.rewrite(object).unwrap();
        }
        assert_eq!(stream.parallel_split(), None);
        let mut written = Vec::new();
        stream.write(&mut written).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), text);
    }

    /// Objects edited through `edit_each` (two threads, from `PARALLEL_EDITS` of them) give
    /// the same operations, in the same order, and the same written stream as edited one by
    /// one, List items (kept on one thread with their List) included.
    #[test]
    fn objects_edited_on_two_threads_are_edited_as_one_by_one() {
        let document = |i: usize| {
            if i % 10 == 5 {
                format!(
                    "---\napiVersion: v1\nkind: List\nitems:\n  - {{apiVersion: v1, kind: ConfigMap, metadata: {{name: l{i}a}}}}\n  - {{apiVersion: v1, kind: ConfigMap, metadata: {{name: l{i}b}}}}\n"
                )
            } else {
                format!(
                    "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}  # keep\ndata:\n  list: [a]\n"
                )
            }
        };
        let text: String = (0..200).map(document).collect();
        let edit = |e: &mut Edit<'_>, n: &usize| {
            e.set(
                &path(&["metadata", "labels", "n"]),
                Value::String(n.to_string()),
            );
            e.push(&path(&["data", "list"]), Value::String(format!("item {n}")));
        };
        let mut one_by_one = Stream::parse(text.clone(), Limits::default()).unwrap();
        let jobs: Vec<(ObjectRef, usize)> = one_by_one
            .objects()
            .into_iter()
            .enumerate()
            .map(|(n, o)| (o, n))
            .collect();
        assert!(jobs.len() >= PARALLEL_EDITS);
        let expected: Vec<Vec<PatchOperation>> = jobs
            .iter()
            .map(|(o, n)| one_by_one.edit(*o, |e| edit(e, n)).unwrap())
            .collect();
        let mut together = Stream::parse(text, Limits::default()).unwrap();
        let got: Vec<Vec<PatchOperation>> = together
            .edit_each(&jobs, |(o, _)| *o, |e, (_, n)| edit(e, n))
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, expected);
        assert!(got.iter().all(|ops| ops.len() == 2), "every object changed");
        let written = |stream: &Stream| {
            let mut out = Vec::new();
            stream.write(&mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(written(&together), written(&one_by_one));
        assert!(written(&together).contains("name: l195b"));
    }

    /// After an edit, a recorded field answers from the scan only where the edit changed
    /// nothing: never a stale value, at, above or beside (a shifted list item) the change.
    #[test]
    fn recorded_fields_answer_where_edits_changed_nothing() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n  labels:\n    x: \"1\"\nspec:\n  template:\n    spec:\n      serviceAccountName: sa\n      containers:\n        - name: one\n        - name: two\n";
        let pointers = [
            "/metadata/name",
            "/metadata/labels",
            "/metadata/labels/x",
            "/spec/template/spec/serviceAccountName",
            "/spec/template/spec/containers/0/name",
            "/spec/template/spec/containers/1/name",
        ];
        let object = ObjectRef {
            document: 0,
            item: None,
        };
        let edits: [(&[&str], Value); 3] = [
            (&["metadata", "labels", "y"], Value::from("2")),
            (
                &["spec", "template", "spec", "containers", "0", "name"],
                Value::from("zero"),
            ),
            (
                &["spec", "template", "spec", "serviceAccountName"],
                Value::from("other"),
            ),
        ];
        for (at, value) in edits {
            let mut stream =
                Stream::parse_recording(text.to_owned(), Limits::default(), Fields::new(pointers))
                    .unwrap();
            stream
                .edit(object, |e| e.set(&path(at), value.clone()))
                .unwrap();
            let mut built = Stream::parse(text.to_owned(), Limits::default()).unwrap();
            built
                .edit(object, |e| e.set(&path(at), value.clone()))
                .unwrap();
            for pointer in pointers {
                assert_eq!(
                    stream.pointer(object, pointer).unwrap(),
                    built.pointer(object, pointer).unwrap(),
                    "{pointer} after setting {at:?}"
                );
            }
            let untouched = "/metadata/name";
            assert!(stream.documents[0].unchanged_at(untouched), "{at:?}");
            let top = format!("/{}", at[0]);
            assert!(!stream.documents[0].unchanged_at(&top), "{at:?}");
        }
    }

    #[test]
    fn token_prefixes_are_whole_tokens() {
        for (prefix, pointer, expected) in [
            ("", "/a", true),
            ("", "", true),
            ("/a", "/a", true),
            ("/a", "/a/b", true),
            ("/a/b", "/a/bc", false),
            ("/a~1b", "/a~1b/c", true),
            ("/a", "/a~1b", false),
            ("/a/b", "/a", false),
            (
                "/spec/template/spec/containers/0/env",
                "/spec/template/spec/containers/0",
                false,
            ),
        ] {
            assert_eq!(
                is_token_prefix(prefix, pointer),
                expected,
                "{prefix} {pointer}"
            );
            let (p, q) = (
                json_patch::jsonptr::Pointer::parse(prefix).unwrap(),
                json_patch::jsonptr::Pointer::parse(pointer).unwrap(),
            );
            assert_eq!(q.starts_with(p), expected, "jsonptr: {prefix} {pointer}");
        }
    }
}

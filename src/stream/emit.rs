//! Writing a node tree back as block-style YAML that every reader (YAML 1.1 and 1.2) reads as
//! the same data: scalars keep their written form where it is safe, and otherwise get the
//! quoting that pins their meaning.

use super::resolve::{is_printable, plain_is_well_formed};
use super::tree::{Comments, Content, Entry, Item, Node, Scalar, ScalarStyle, Written};

/// Indentation habits of a document, detected from its source so that a re-written document
/// differs from the original only where it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Spaces per nesting level of mappings.
    pub indent: usize,
    /// Whether `- ` items are indented under their key (`key:\n  - a`) or not (`key:\n- a`).
    pub indent_sequences: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            indent: 2,
            indent_sequences: true,
        }
    }
}

/// The document's content as YAML text, ending with a newline.
pub fn emit(root: &Node, layout: Layout) -> String {
    let mut out = String::new();
    emit_into(root, layout, &mut out);
    out
}

/// [`emit`], appending to `out`.
pub fn emit_into(root: &Node, layout: Layout, out: &mut String) {
    let mut w = Writer { out, layout };
    w.root(root);
}

struct Writer<'o> {
    out: &'o mut String,
    layout: Layout,
}

/// Spaces for indentation, written a slice at a time.
const SPACES: &str = "                                                                ";

impl Writer<'_> {
    fn root(&mut self, node: &Node) {
        let tag = node.tag.as_deref();
        match &node.content {
            Content::Mapping(entries) if !entries.is_empty() => {
                self.root_tag(tag);
                self.entries(entries, 0);
                self.trailing(&node.trailing, 0);
            }
            Content::Sequence(items) if !items.is_empty() => {
                self.root_tag(tag);
                self.items(items, 0);
                self.trailing(&node.trailing, 0);
            }
            Content::Scalar(s) if is_literal(s) => {
                self.out.push_str("---");
                self.literal(s, tag, &Comments::default(), self.layout.indent);
            }
            _ => {
                self.inline_value(node);
                self.out.push('\n');
            }
        }
    }

    fn root_tag(&mut self, tag: Option<&str>) {
        if let Some(tag) = tag {
            self.out.push_str("--- ");
            self.out.push_str(tag);
            self.out.push('\n');
        }
    }

    fn entries(&mut self, entries: &[Entry], indent: usize) {
        for entry in entries {
            self.lines(&Comments::of(&entry.comments).above, indent);
            self.pad(indent);
            self.entry(entry, indent);
        }
    }

    /// `key: value`, starting where the cursor is (after indentation or after `- `).
    fn entry(&mut self, entry: &Entry, indent: usize) {
        self.key(&entry.key, indent);
        self.out.push(':');
        let child = match entry.value.content {
            Content::Sequence(_) if !self.layout.indent_sequences => indent,
            _ => indent + self.layout.indent,
        };
        self.after_indicator(&entry.value, Comments::of(&entry.comments), indent, child);
    }

    fn items(&mut self, items: &[Item], indent: usize) {
        for item in items {
            self.lines(&Comments::of(&item.comments).above, indent);
            self.pad(indent);
            self.out.push('-');
            self.item_value(item, indent + 2);
        }
    }

    /// Writes what follows `key:` or `-`: an inline scalar, or a nested block on the next lines.
    fn after_indicator(&mut self, value: &Node, comments: &Comments, indent: usize, child: usize) {
        let tag = value.tag.as_deref();
        match &value.content {
            Content::Mapping(entries) if !entries.is_empty() => {
                self.tag_and_comment(tag, comments);
                self.entries(entries, child);
                self.trailing(&value.trailing, child);
            }
            Content::Sequence(items) if !items.is_empty() => {
                self.tag_and_comment(tag, comments);
                self.items(items, child);
                self.trailing(&value.trailing, child);
            }
            Content::Scalar(s) if is_literal(s) => {
                self.literal(s, tag, comments, indent + self.layout.indent);
            }
            _ => {
                self.out.push(' ');
                self.inline_value(value);
                self.right(comments);
                self.out.push('\n');
            }
        }
    }

    /// Writes what follows `-`: a mapping or list starts on the dash's line (compact form)
    /// unless something (a tag, a comment) must be written between the dash and its content.
    fn item_value(&mut self, item: &Item, child: usize) {
        let value = &item.value;
        let bare = value.tag.is_none() && Comments::of(&item.comments).right.is_none();
        match &value.content {
            Content::Mapping(entries)
                if bare && starts_bare(entries.first().map(|e| Comments::of(&e.comments))) =>
            {
                self.out.push(' ');
                self.entry(&entries[0], child);
                self.entries(&entries[1..], child);
                self.trailing(&value.trailing, child);
            }
            Content::Sequence(items)
                if bare && starts_bare(items.first().map(|i| Comments::of(&i.comments))) =>
            {
                self.out.push_str(" -");
                self.item_value(&items[0], child + 2);
                self.items(&items[1..], child);
                self.trailing(&value.trailing, child);
            }
            _ => self.after_indicator(value, Comments::of(&item.comments), child - 2, child),
        }
    }

    fn tag_and_comment(&mut self, tag: Option<&str>, comments: &Comments) {
        if let Some(tag) = tag {
            self.out.push(' ');
            self.out.push_str(tag);
        }
        self.right(comments);
        self.out.push('\n');
    }

    /// The key of an entry whose `:` follows; `indent` is the entry's column, where the `:`
    /// of a complex key (`? key` on its own line) must stand.
    fn key(&mut self, key: &Node, indent: usize) {
        match &key.content {
            Content::Scalar(s) => {
                if let Some(tag) = &key.tag {
                    self.out.push_str(tag);
                    self.out.push(' ');
                }
                match s.style {
                    // A null key (`: v`) stays null; block scalars cannot be implicit keys.
                    ScalarStyle::Plain if s.text.is_empty() => self.out.push('~'),
                    ScalarStyle::Literal | ScalarStyle::Folded => double_quoted(&s.text, self.out),
                    _ => self.scalar(s, key.written),
                }
            }
            // A collection as a key: rare; written in flow form as JSON, which YAML reads alike.
            _ => {
                self.out.push_str(&format!("? {}\n", key.to_json()));
                self.pad(indent);
            }
        }
    }

    fn inline_value(&mut self, node: &Node) {
        if let Some(tag) = &node.tag {
            self.out.push_str(tag);
            self.out.push(' ');
        }
        match &node.content {
            Content::Scalar(s) => self.scalar(s, node.written),
            Content::Mapping(_) => self.out.push_str("{}"),
            Content::Sequence(_) => self.out.push_str("[]"),
        }
    }

    /// A scalar on one line (block scalars are written by `literal`).
    /// A scalar, in its style when its text can be written that way; `written` is where the
    /// node was read from (`None` for a node the tool made).
    fn scalar(&mut self, s: &Scalar, written: Option<Written>) {
        match s.style {
            ScalarStyle::Plain if s.text.is_empty() => {
                // `key:` with nothing after it: null, as written.
                if self.out.ends_with(' ') {
                    self.out.pop();
                }
            }
            ScalarStyle::Plain
                if plain_needs_no_check(s, written) || plain_is_well_formed(&s.text) =>
            {
                self.out.push_str(&s.text)
            }
            ScalarStyle::SingleQuoted if single_quotable(&s.text) => {
                self.out.push('\'');
                for (i, part) in s.text.split('\'').enumerate() {
                    if i > 0 {
                        self.out.push_str("''");
                    }
                    self.out.push_str(part);
                }
                self.out.push('\'');
            }
            _ => double_quoted(&s.text, self.out),
        }
    }

    /// ` |` and the block; the chomping indicator keeps the trailing newlines exact.
    fn literal(&mut self, s: &Scalar, tag: Option<&str>, comments: &Comments, indent: usize) {
        let body = s.text.trim_end_matches('\n');
        let newlines = s.text.len() - body.len();
        self.out.push(' ');
        if let Some(tag) = tag {
            self.out.push_str(tag);
            self.out.push(' ');
        }
        self.out.push('|');
        self.out.push_str(match newlines {
            0 => "-",
            1 => "",
            _ => "+",
        });
        self.right(comments);
        self.out.push('\n');
        for line in body.split('\n') {
            if !line.is_empty() {
                self.pad(indent);
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
        for _ in 1..newlines {
            self.out.push('\n');
        }
    }

    fn right(&mut self, comments: &Comments) {
        if let Some(c) = &comments.right {
            self.out.push_str(" #");
            self.out.push_str(c);
        }
    }

    fn trailing(&mut self, comments: &[String], indent: usize) {
        self.lines(comments, indent);
    }

    /// Own-line comments.
    fn lines(&mut self, comments: &[String], indent: usize) {
        for c in comments {
            self.pad(indent);
            self.out.push('#');
            self.out.push_str(c);
            self.out.push('\n');
        }
    }

    fn pad(&mut self, indent: usize) {
        let mut left = indent;
        while left > 0 {
            let n = left.min(SPACES.len());
            self.out.push_str(&SPACES[..n]);
            left -= n;
        }
    }
}

fn starts_bare(first: Option<&Comments>) -> bool {
    first.is_some_and(|c| c.above.is_empty())
}

fn single_quotable(text: &str) -> bool {
    if text.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
        return true;
    }
    text.chars().all(|c| is_printable(c) && c != '\t')
}

/// Whether a scalar is written as a literal block: it was a block scalar and `|` can carry
/// its text exactly (printable, no whitespace-only lines, not starting with white space,
/// which would need an indentation indicator).
fn is_literal(s: &Scalar) -> bool {
    let body = s.text.trim_end_matches('\n');
    matches!(s.style, ScalarStyle::Literal | ScalarStyle::Folded)
        && !body.is_empty()
        && s.text.chars().all(|c| c == '\n' || is_printable(c))
        && !body.starts_with([' ', '\t', '\n'])
        && body
            .split('\n')
            .all(|line| line.is_empty() || !line.chars().all(|c| c == ' ' || c == '\t'))
}

/// Whether a plain scalar reads back the same written as it is, without
/// [`plain_is_well_formed`]'s checks of each byte against the one before:
/// - one the tool made (`written` is `None`): it is plain only when
///   [`plain_is_unambiguous`](super::resolve::plain_is_unambiguous) said so, which checks
///   that (numbers, booleans and null are plain by their spelling);
/// - one the parser read as plain on one line of a valid document (its text is as long as
///   its span: folding a line break into a space always shortens a scalar of a Kubernetes
///   object, whose lines go on indented) that is printable ASCII and cannot be read at a
///   line's start as a document marker. Others are checked: text with tabs or other
///   characters (YAML 1.1 readers take NEL, LS and PS for line breaks, which a YAML 1.2
///   parser reads as text), and text folded from several lines.
fn plain_needs_no_check(s: &Scalar, written: Option<Written>) -> bool {
    let Some(w) = written else {
        debug_assert!(plain_is_well_formed(&s.text), "{:?} made plain", s.text);
        return true;
    };
    !w.alias
        && (w.end - w.start) as usize == s.text.len()
        && !s.text.starts_with("---")
        && !s.text.starts_with("...")
        // Every byte, without stopping at the first: the compiler checks many at once.
        && s.text
            .bytes()
            .fold(true, |ascii, b| ascii & (b.wrapping_sub(0x20) < 0x5F))
}

/// A double-quoted scalar: every character that is not printable is escaped.
pub fn double_quoted(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{85}' => out.push_str("\\N"),
            '\u{A0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if is_printable(c) => out.push(c),
            c if (c as u32) <= 0xFF => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out.push('"');
}

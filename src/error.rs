//! What every module's errors share: the [`Hint`] an operator reads under the message, and
//! [`chain`], an error and its causes on one line. A leaf: it imports nothing of ours, so
//! every module can use it without an import cycle.

/// What the operator can do about an error, on one line (`  hint: ...` under the message),
/// when there is something to say. Every error type of the library implements it, and the
/// binary prints it under the error.
pub trait Hint {
    /// The line, or `None` when the message says it all.
    fn hint(&self) -> Option<&str>;
}

/// An error and its causes as one line, `outer: inner: innermost` (the innermost cause is
/// usually the one that says what happened), each cause once and without debug dumps.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

use super::{Change, Context, Filter, RenderError};
use crate::stream::Stream;

/// Re-writes every document without changing its data (`--rewrite-all`).
#[derive(Debug)]
pub struct RewriteAll;

impl Filter for RewriteAll {
    fn name(&self) -> &'static str {
        "rewrite"
    }

    fn apply(&self, stream: &mut Stream, cx: &mut Context) -> Result<(), RenderError> {
        let mut seen = std::collections::BTreeSet::new();
        for object in stream.objects() {
            if seen.insert(object.document) {
                stream.rewrite(object)?;
                cx.changes.push(Change {
                    object: stream.header(object).display_name(),
                    document: Some(object.document + 1),
                    filter: cx.filter,
                    reason: "re-written on request (--rewrite-all); data unchanged".to_owned(),
                    patch: Vec::new(),
                });
            }
        }
        Ok(())
    }
}

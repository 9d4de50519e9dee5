use super::{Context, Filter, RenderError};
use crate::stream::Stream;

/// Re-writes every document without changing its data (`--rewrite-all`).
pub struct RewriteAll;

impl Filter for RewriteAll {
    fn name(&self) -> &'static str {
        "rewrite"
    }

    fn apply(&self, stream: &mut Stream, _cx: &mut Context) -> Result<(), RenderError> {
        Ok(stream.rewrite_all()?)
    }
}

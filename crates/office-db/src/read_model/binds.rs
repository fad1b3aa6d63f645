//! Placeholders for SQL built from optional filters.

use super::Arg;

/// Arguments whose placeholders are numbered as they are pushed.
#[derive(Debug, Default)]
pub struct Binds {
    pub args: Vec<Arg>,
}

impl Binds {
    /// Bind `a` and answer its placeholder (`?3`).
    pub fn push(&mut self, a: impl Into<Arg>) -> String {
        self.args.push(a.into());
        format!("?{}", self.args.len())
    }
}

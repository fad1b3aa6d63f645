//! Passphrases: from the environment (scripts, tests) or a prompt that does not echo.

use std::io::IsTerminal;

use anyhow::{Context, Result, bail};

/// The passphrase from `var`, or asked for on the terminal.
pub fn passphrase(var: &str, prompt: &str, confirm: bool) -> Result<String> {
    if let Ok(p) = std::env::var(var) {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no passphrase: set {var} or run in a terminal to be asked");
    }
    let first = rpassword::prompt_password(prompt).context("reading the passphrase")?;
    if confirm {
        let again = rpassword::prompt_password("Repeat it: ").context("reading the passphrase")?;
        if again != first {
            bail!("the two passphrases differ; nothing was changed");
        }
    }
    Ok(first)
}

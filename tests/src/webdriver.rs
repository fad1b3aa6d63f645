//! A small W3C WebDriver client (ureq, blocking) for driving the real desktop window through
//! tauri-driver and WebKitWebDriver: just the calls the journeys use.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// What went wrong talking to the driver, or waiting on the page.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The driver answered with an error (a stale element, a click another element took …).
    #[error("{url}: HTTP {status}: {body}")]
    Refused { url: String, status: u16, body: String },
    #[error("{url}: {reason}")]
    Transport { url: String, reason: String },
    /// An answer that is not what the protocol says.
    #[error("{0}")]
    Protocol(String),
    #[error("{what} within {within:?}; the page reads:\n{page}")]
    Timeout { what: String, within: Duration, page: String },
}

pub type Result<T> = std::result::Result<T, DriverError>;

/// One WebDriver session: the app started by the driver, closed on drop.
#[derive(Debug)]
pub struct Session {
    base: String,
    agent: ureq::Agent,
}

/// An element of the page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    /// Start a session at `driver` (http://127.0.0.1:PORT) with these capabilities.
    pub fn start(driver: &str, capabilities: Value) -> Result<Self> {
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(120)).build();
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let reply = post(&agent, &format!("{driver}/session"), &body)?;
        let id =
            reply["sessionId"].as_str().ok_or_else(|| DriverError::Protocol(format!("no session id in {reply}")))?;
        let s = Self { base: format!("{driver}/session/{id}"), agent };
        s.post("/timeouts", &json!({ "implicit": 0, "script": 30_000 }))?;
        Ok(s)
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value> {
        post(&self.agent, &format!("{}{path}", self.base), body)
    }

    fn get(&self, path: &str) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        answer(&url, self.agent.get(&url).call())
    }

    /// Every element matching a CSS selector now.
    pub fn all(&self, css: &str) -> Result<Vec<Element>> {
        self.all_by("css selector", css)
    }

    fn all_by(&self, using: &str, value: &str) -> Result<Vec<Element>> {
        let found = self.post("/elements", &json!({ "using": using, "value": value }))?;
        Ok(found
            .as_array()
            .map(|a| a.iter().filter_map(|e| e[ELEMENT].as_str().map(|id| Element(id.into()))).collect())
            .unwrap_or_default())
    }

    /// Wait (up to `within`) for a displayed element matching `css`, whose text contains
    /// `text` when given.
    pub fn wait(&self, css: &str, text: Option<&str>, within: Duration) -> Result<Element> {
        self.wait_by("css selector", css, text, within)
    }

    /// Wait (up to `within`) until exactly `n` elements match `css`.
    pub fn wait_count(&self, css: &str, n: usize, within: Duration) -> Result<()> {
        let found = std::cell::Cell::new(0);
        self.poll(
            within,
            || format!("{} of `{css}`, not {n},", found.get()),
            || {
                found.set(self.all(css)?.len());
                Ok((found.get() == n).then_some(()))
            },
        )
    }

    /// Wait (up to `within`) until no element matching `css` is displayed (a closing
    /// dropdown or dialog has finished its transition).
    pub fn wait_gone(&self, css: &str, within: Duration) -> Result<()> {
        self.poll(
            within,
            || format!("`{css}` still displayed"),
            || Ok((!self.all(css)?.iter().any(|e| self.is_displayed(e))).then_some(())),
        )
    }

    /// Wait for a displayed element found by an XPath expression.
    pub fn wait_xpath(&self, xpath: &str, within: Duration) -> Result<Element> {
        self.wait_by("xpath", xpath, None, within)
    }

    fn wait_by(&self, using: &str, value: &str, text: Option<&str>, within: Duration) -> Result<Element> {
        let what =
            || format!("no displayed `{value}`{}", text.map(|t| format!(" containing `{t}`")).unwrap_or_default());
        self.poll(within, what, || {
            // An element the page replaced meanwhile (stale) counts as not shown.
            Ok(self
                .all_by(using, value)?
                .into_iter()
                .find(|e| self.is_displayed(e) && text.is_none_or(|t| self.text(e).is_ok_and(|x| x.contains(t)))))
        })
    }

    /// Check the page until `check` finds what it waits for, or `within` has passed. The
    /// condition, not the pause between checks, is what a test waits on.
    fn poll<T>(
        &self,
        within: Duration,
        what: impl Fn() -> String,
        mut check: impl FnMut() -> Result<Option<T>>,
    ) -> Result<T> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(found) = check()? {
                return Ok(found);
            }
            if Instant::now() > deadline {
                let page = self.text_of_page().unwrap_or_default();
                return Err(DriverError::Timeout { what: what(), within, page });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether `e` is shown; an element the page has replaced (stale) is not.
    pub fn is_displayed(&self, e: &Element) -> bool {
        self.get(&format!("/element/{}/displayed", e.0)).is_ok_and(|v| v.as_bool().unwrap_or(false))
    }

    pub fn click(&self, e: &Element) -> Result<()> {
        self.post(&format!("/element/{}/click", e.0), &json!({})).map(|_| ())
    }

    /// Type into an element (an input or textarea).
    pub fn type_into(&self, e: &Element, text: &str) -> Result<()> {
        self.post(&format!("/element/{}/value", e.0), &json!({ "text": text })).map(|_| ())
    }

    pub fn clear(&self, e: &Element) -> Result<()> {
        self.post(&format!("/element/{}/clear", e.0), &json!({})).map(|_| ())
    }

    pub fn text(&self, e: &Element) -> Result<String> {
        Ok(self.get(&format!("/element/{}/text", e.0))?.as_str().unwrap_or_default().to_owned())
    }

    pub fn text_of_page(&self) -> Result<String> {
        let body =
            self.all("body")?.into_iter().next().ok_or_else(|| DriverError::Protocol("the page has no body".into()))?;
        self.text(&body)
    }

    /// Press keys as a person would (key down, key up), to whatever has focus.
    pub fn keys(&self, keys: &[&str]) -> Result<()> {
        let actions: Vec<Value> = keys
            .iter()
            .flat_map(|k| [json!({ "type": "keyDown", "value": k }), json!({ "type": "keyUp", "value": k })])
            .collect();
        self.post("/actions", &json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }))?;
        Ok(())
    }

    /// Run a script in the page and return its value.
    pub fn script(&self, script: &str) -> Result<Value> {
        self.post("/execute/sync", &json!({ "script": script, "args": [] }))
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Result<Vec<u8>> {
        let b64 = self.get("/screenshot")?;
        let b64 = b64.as_str().ok_or_else(|| DriverError::Protocol(format!("not a screenshot: {b64}")))?;
        decode_base64(b64).ok_or_else(|| DriverError::Protocol("the screenshot is not base64".into()))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.base).call();
    }
}

fn post(agent: &ureq::Agent, url: &str, body: &Value) -> Result<Value> {
    answer(url, agent.post(url).send_json(body))
}

fn answer(url: &str, r: std::result::Result<ureq::Response, ureq::Error>) -> Result<Value> {
    let transport = |reason: String| DriverError::Transport { url: url.to_owned(), reason };
    let reply: Value = match r {
        Ok(resp) => resp.into_json().map_err(|e| transport(e.to_string()))?,
        Err(ureq::Error::Status(status, resp)) => {
            let body = resp.into_string().unwrap_or_default();
            return Err(DriverError::Refused { url: url.to_owned(), status, body });
        }
        Err(e) => return Err(transport(e.to_string())),
    };
    Ok(reply["value"].clone())
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let clean: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_round_trips_known_values() {
        assert_eq!(super::decode_base64("TWFu").unwrap(), b"Man");
        assert_eq!(super::decode_base64("TWE=").unwrap(), b"Ma");
        assert_eq!(super::decode_base64("TQ==").unwrap(), b"M");
    }
}

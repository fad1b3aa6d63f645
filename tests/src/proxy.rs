//! A bad network in a box: a TCP proxy between a device and the office that adds latency, cuts
//! connections part way, and truncates bodies, all decided by a seed so a failing run can be
//! replayed. It also fires a one-shot trigger after a given number of bytes went up, which the
//! fault tests use to kill -9 a process at a reproducible point of a transfer.
//!
//! The fault is decided per connection from `seed` and the connection's number:
//! - pass untouched;
//! - cut after `k` bytes towards the office (the request is truncated, then both sides closed);
//! - cut after `k` bytes towards the device (the response is truncated);
//! - and every forwarded chunk may wait up to `max_latency` first.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A seedable generator (the evidence crate's splitmix64): the same seed gives the same faults.
#[derive(Debug, Clone)]
pub struct Rng(mingcha_evidence::sample::Rng);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(mingcha_evidence::sample::Rng(seed))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// How bad the network is.
#[derive(Debug, Clone, Copy)]
pub struct Chaos {
    pub seed: u64,
    /// Probability that a connection is cut part way (half of those on the way up, half down).
    pub cut: f64,
    /// A cut happens within this many bytes of the connection's start.
    pub cut_within: u64,
    /// Each forwarded chunk waits a random time up to this.
    pub max_latency: Duration,
}

impl Chaos {
    /// A clean network: the proxy only forwards (and counts, and fires triggers).
    pub fn none() -> Self {
        Self { seed: 0, cut: 0.0, cut_within: 0, max_latency: Duration::ZERO }
    }
}

type Trigger = Box<dyn FnOnce() + Send>;

struct Shared {
    target: Mutex<SocketAddr>,
    chaos: Mutex<Chaos>,
    up_bytes: AtomicU64,
    cuts: AtomicU64,
    connections: AtomicU64,
    trigger: Mutex<Option<(u64, Trigger)>>,
    stop: AtomicBool,
}

/// The running proxy; it stops when dropped.
pub struct ChaosProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ChaosProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChaosProxy").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl ChaosProxy {
    /// Listen on a free loopback port and forward to `target`.
    pub fn start(target: SocketAddr, chaos: Chaos) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            target: Mutex::new(target),
            chaos: Mutex::new(chaos),
            up_bytes: AtomicU64::new(0),
            cuts: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            trigger: Mutex::new(None),
            stop: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = conn else { continue };
                let n = s.connections.fetch_add(1, Ordering::SeqCst);
                let s = Arc::clone(&s);
                thread::spawn(move || relay(&s, client, n));
            }
        });
        Self { addr, shared }
    }

    /// `https://127.0.0.1:PORT`: what the device is told the office is. The proxy relays
    /// bytes, so TLS passes through it end to end (and its cuts break TLS records as well).
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Point at another office process (after a restart on a new port); the device's URL stays.
    pub fn retarget(&self, target: SocketAddr) {
        *self.shared.target.lock().expect("proxy lock") = target;
    }

    pub fn set_chaos(&self, chaos: Chaos) {
        *self.shared.chaos.lock().expect("proxy lock") = chaos;
    }

    /// Bytes forwarded towards the office so far.
    pub fn up_bytes(&self) -> u64 {
        self.shared.up_bytes.load(Ordering::SeqCst)
    }

    /// Connections the proxy cut on purpose so far.
    pub fn cuts(&self) -> u64 {
        self.shared.cuts.load(Ordering::SeqCst)
    }

    /// Run `f` once, as soon as `more` further bytes have gone up. Replaces an unfired trigger.
    pub fn after_up_bytes(&self, more: u64, f: impl FnOnce() + Send + 'static) {
        let at = self.up_bytes() + more;
        *self.shared.trigger.lock().expect("proxy lock") = Some((at, Box::new(f)));
    }

    /// Forget an unfired trigger; true if one was still waiting.
    pub fn disarm(&self) -> bool {
        self.shared.trigger.lock().expect("proxy lock").take().is_some()
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}

#[derive(Clone, Copy)]
enum Fate {
    Pass,
    CutUp(u64),
    CutDown(u64),
}

fn relay(s: &Arc<Shared>, client: TcpStream, n: u64) {
    let chaos = *s.chaos.lock().expect("proxy lock");
    let mut rng = Rng::new(chaos.seed ^ n.wrapping_mul(0xA24B_AED4_963E_E407));
    let fate = if chaos.cut > 0.0 && rng.chance(chaos.cut) {
        let k = rng.below(chaos.cut_within.max(1));
        if rng.chance(0.5) { Fate::CutUp(k) } else { Fate::CutDown(k) }
    } else {
        Fate::Pass
    };
    let target = *s.target.lock().expect("proxy lock");
    let Ok(server) = TcpStream::connect(target) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else { return };
    let up_limit = if let Fate::CutUp(k) = fate { Some(k) } else { None };
    let down_limit = if let Fate::CutDown(k) = fate { Some(k) } else { None };
    let (su, sd) = (Arc::clone(s), Arc::clone(s));
    let mut rng_up = Rng::new(rng.next_u64());
    let mut rng_down = Rng::new(rng.next_u64());
    let up = thread::spawn(move || pump(&su, client, server, up_limit, chaos.max_latency, &mut rng_up, true));
    let down = thread::spawn(move || pump(&sd, s2, c2, down_limit, chaos.max_latency, &mut rng_down, false));
    let _ = up.join();
    let _ = down.join();
}

/// Copy `from` → `to` until EOF, or until `limit` bytes, then cut both connections.
fn pump(
    s: &Shared,
    mut from: TcpStream,
    mut to: TcpStream,
    limit: Option<u64>,
    max_latency: Duration,
    rng: &mut Rng,
    upward: bool,
) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut sent = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !max_latency.is_zero() {
            // Injected latency (the fault being simulated), not synchronisation.
            thread::sleep(max_latency.mul_f64(rng.below(1000) as f64 / 1000.0));
        }
        let mut chunk = &buf[..n];
        let mut cut = false;
        if let Some(limit) = limit
            && sent + n as u64 >= limit
        {
            chunk = &buf[..usize::try_from(limit - sent).unwrap_or(0)];
            cut = true;
        }
        if to.write_all(chunk).is_err() {
            break;
        }
        sent += chunk.len() as u64;
        if upward {
            let total = s.up_bytes.fetch_add(chunk.len() as u64, Ordering::SeqCst) + chunk.len() as u64;
            fire_trigger(s, total);
        }
        if cut {
            s.cuts.fetch_add(1, Ordering::SeqCst);
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
            return;
        }
    }
    // Pass the end of one direction on, so request/response framing still works.
    let _ = to.shutdown(Shutdown::Write);
}

fn fire_trigger(s: &Shared, total: u64) {
    let due = {
        let mut t = s.trigger.lock().expect("proxy lock");
        match t.as_ref() {
            Some((at, _)) if total >= *at => t.take(),
            _ => None,
        }
    };
    if let Some((_, f)) = due {
        f();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo_server() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        thread::spawn(move || {
            for c in l.incoming().flatten() {
                thread::spawn(move || {
                    let mut c = c;
                    let mut all = Vec::new();
                    let _ = c.read_to_end(&mut all);
                    let _ = c.write_all(&all);
                });
            }
        });
        addr
    }

    fn round_trip(proxy: &ChaosProxy, bytes: &[u8]) -> Vec<u8> {
        let mut c = TcpStream::connect(proxy.addr).unwrap();
        c.write_all(bytes).unwrap_or(());
        let _ = c.shutdown(Shutdown::Write);
        let mut back = Vec::new();
        let _ = c.read_to_end(&mut back);
        back
    }

    #[test]
    fn a_clean_proxy_forwards_everything_and_fires_its_trigger_once() {
        let proxy = ChaosProxy::start(echo_server(), Chaos::none());
        let fired = Arc::new(AtomicU64::new(0));
        let f = Arc::clone(&fired);
        proxy.after_up_bytes(1000, move || {
            f.fetch_add(1, Ordering::SeqCst);
        });
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(round_trip(&proxy, &data), data);
        assert_eq!(round_trip(&proxy, &data), data);
        assert_eq!(fired.load(Ordering::SeqCst), 1);
        assert_eq!(proxy.up_bytes(), 100_000);
    }

    #[test]
    fn a_cut_connection_delivers_a_strict_prefix_and_the_seed_replays_it() {
        let chaos = Chaos { seed: 42, cut: 1.0, cut_within: 10_000, max_latency: Duration::ZERO };
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let run = || {
            let proxy = ChaosProxy::start(echo_server(), chaos);
            let back = round_trip(&proxy, &data);
            (back, proxy.cuts())
        };
        let (first, cuts) = run();
        assert_eq!(cuts, 1);
        assert!(first.len() < data.len(), "the cut truncated the echo");
        assert_eq!(first[..], data[..first.len()], "what arrives is a prefix, never other bytes");
        assert_eq!(run().0, first, "the same seed cuts at the same byte");
    }
}

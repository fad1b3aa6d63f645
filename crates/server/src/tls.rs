//! TLS for the office: its certificate (one given by the office, or a self-signed one made at
//! first start and kept in the data folder), the fingerprint devices pin, and a listener that
//! does the handshake off the accept loop.
//!
//! Devices do not check the certificate against a CA or a host name: the enrollment token
//! carries the SHA-256 of the certificate, and the device accepts exactly that certificate from
//! then on. So a self-signed certificate is as good as a bought one for devices, and an office
//! on a bare IP address needs no DNS name. Browsers on the console see a self-signed
//! certificate warning unless the office gives a certificate they trust.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::error::{Error, Result};
use crate::key::sha256_hex;

/// How long a client has to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// The office's certificate chain and key, and the fingerprint of its leaf.
#[derive(Clone)]
pub struct TlsIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    /// SHA-256 of the leaf certificate's DER, 64 lower-case hex: what devices pin.
    pub fingerprint: String,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

/// The fingerprint as people compare it by eye: upper-case pairs with colons, the way
/// browsers and `openssl x509 -fingerprint -sha256` show it.
pub fn colon_fingerprint(hex: &str) -> String {
    hex.as_bytes().chunks(2).map(|p| String::from_utf8_lossy(p).to_ascii_uppercase()).collect::<Vec<_>>().join(":")
}

fn tls_error(what: &str, path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("{what} {}: {e}", path.display()))
}

impl TlsIdentity {
    /// A certificate chain (leaf first) and its private key, both PEM, as the office gives them.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self> {
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| tls_error("cannot read the certificate", cert, e))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| tls_error("cannot read the certificate", cert, e))?;
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| tls_error("cannot read the key", key, e))?;
        let leaf = chain.first().ok_or_else(|| tls_error("no certificate in", cert, "the file is empty"))?;
        let fingerprint = sha256_hex(leaf.as_ref());
        let identity = Self { chain, key: Arc::new(key_der), fingerprint };
        // Refuse a key that does not belong to the certificate now, not at the first handshake.
        identity.server_config().map_err(|e| tls_error("the key does not fit the certificate", cert, e))?;
        Ok(identity)
    }

    /// The self-signed certificate in `dir` (`cert.pem`, `key.pem`), made on first use.
    pub fn load_or_create(dir: &Path) -> Result<Self> {
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        if !cert.exists() || !key.exists() {
            create_self_signed(dir, &cert, &key)?;
        }
        Self::from_pem_files(&cert, &key)
    }

    /// rustls' configuration for this identity (HTTP/1.1, ring, TLS 1.2 and 1.3).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>> {
        let provider = Arc::new(ring_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Internal(format!("TLS versions: {e}")))?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| Error::Invalid(format!("the TLS certificate and key: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// rustls' ring provider. Deprecated in rustls 0.23.48 for lacking post-quantum key exchange;
/// the alternative (aws-lc-rs) needs cmake and a C build on every machine. ureq uses ring too.
#[allow(deprecated)]
pub fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// A fresh ECDSA P-256 key and a certificate for it, valid for `localhost` and loopback (a
/// device does not check names, but curl and browsers on the office's own machine do). The
/// key file is written with mode 0600 before any byte of the key goes into it.
fn create_self_signed(dir: &Path, cert: &Path, key: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    let mut params = rcgen::CertificateParams::new(names).map_err(|e| Error::Internal(format!("certificate: {e}")))?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "Mingcha office (self-signed)");
    let key_pair = rcgen::KeyPair::generate().map_err(|e| Error::Internal(format!("certificate key: {e}")))?;
    let made = params.self_signed(&key_pair).map_err(|e| Error::Internal(format!("certificate: {e}")))?;
    write_private(key, key_pair.serialize_pem().as_bytes())?;
    // The certificate last: it is what marks the pair complete (see `load_or_create`).
    let tmp = cert.with_extension("pem.tmp");
    std::fs::write(&tmp, made.pem())?;
    std::fs::rename(&tmp, cert)?;
    mingcha_office_db::fs::sync_dir(dir)?;
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp: PathBuf = path.with_extension("pem.tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// A TCP listener whose connections come out already through the TLS handshake. Handshakes run
/// in their own tasks, so a slow or silent client never holds up the others; one that fails
/// is dropped (a browser refusing the self-signed certificate, a port scanner).
#[derive(Debug)]
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    acceptor_task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        let acceptor_task = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        eprintln!("mingcha-server: accepting a connection: {e}");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let (acceptor, ready) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        let _ = ready.send((tls, peer)).await;
                    }
                });
                if tx.is_closed() {
                    break;
                }
            }
        });
        Ok(Self { ready, local, acceptor_task })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The acceptor ended (it never does while the listener lives): accept no more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_is_made_once_kept_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = TlsIdentity::load_or_create(&dir.path().join("tls")).unwrap();
        let mode = std::fs::metadata(dir.path().join("tls/key.pem")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key is readable by its owner only");
        let again = TlsIdentity::load_or_create(&dir.path().join("tls")).unwrap();
        assert_eq!(first.fingerprint, again.fingerprint, "a restart keeps the certificate devices pinned");
        assert_eq!(first.fingerprint.len(), 64);
        let other = TlsIdentity::load_or_create(&dir.path().join("other")).unwrap();
        assert_ne!(first.fingerprint, other.fingerprint);
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused_at_start() {
        let dir = tempfile::tempdir().unwrap();
        TlsIdentity::load_or_create(&dir.path().join("a")).unwrap();
        TlsIdentity::load_or_create(&dir.path().join("b")).unwrap();
        let err = TlsIdentity::from_pem_files(&dir.path().join("a/cert.pem"), &dir.path().join("b/key.pem"));
        assert!(matches!(err, Err(Error::Invalid(_))), "{err:?}");
        let missing = TlsIdentity::from_pem_files(&dir.path().join("none.pem"), &dir.path().join("b/key.pem"));
        assert!(matches!(missing, Err(Error::Invalid(_))), "{missing:?}");
    }

    #[test]
    fn the_fingerprint_reads_like_openssl_prints_it() {
        assert_eq!(colon_fingerprint("ab01ff"), "AB:01:FF");
    }
}

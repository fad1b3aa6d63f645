//! Certificate pinning: the laptop trusts exactly the certificate whose SHA-256 the enrollment
//! token carried, whatever CA signed it or names it holds, and nothing else.
//!
//! The handshake's signature is still checked against that certificate's key (rustls does it
//! with the provider's algorithms below), so a copy of the certificate without its key does not
//! pass. A mismatch is remembered, so the caller can say `certificate_mismatch` instead of a
//! network failure and stop retrying.

use std::sync::{Arc, Mutex};

use mingcha_core::hex;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

/// rustls' ring provider, as ureq uses it. Deprecated in rustls 0.23.48 for lacking
/// post-quantum key exchange; aws-lc-rs would need cmake and a C build on every laptop build.
#[allow(deprecated)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// A verifier that accepts the one certificate with this SHA-256.
#[derive(Debug)]
pub(crate) struct PinnedCertificate {
    pin: String,
    provider: Arc<CryptoProvider>,
    /// The fingerprint of the last certificate refused.
    refused: Mutex<Option<String>>,
}

impl PinnedCertificate {
    pub(crate) fn new(pin: &str) -> Self {
        Self { pin: pin.to_ascii_lowercase(), provider: Arc::new(ring_provider()), refused: Mutex::new(None) }
    }

    pub(crate) fn pin(&self) -> &str {
        &self.pin
    }

    /// The fingerprint of a certificate that was refused, if one was.
    pub(crate) fn refused(&self) -> Option<String> {
        self.refused.lock().ok().and_then(|r| r.clone())
    }

    /// A rustls client configuration that trusts only the pinned certificate.
    pub(crate) fn client_config(self: &Arc<Self>) -> Result<rustls::ClientConfig, rustls::Error> {
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::clone(self) as Arc<dyn ServerCertVerifier>)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = hex::encode(&Sha256::digest(end_entity.as_ref()));
        if got == self.pin {
            return Ok(ServerCertVerified::assertion());
        }
        if let Ok(mut refused) = self.refused.lock() {
            *refused = Some(got);
        }
        Err(rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

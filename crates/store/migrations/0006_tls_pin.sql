-- The SHA-256 (hex) of the office's TLS certificate, from the enrollment token: the laptop
-- accepts that certificate and no other. NULL for an office enrolled before TLS, or one
-- behind a TLS-terminating proxy (its https address is then checked against the usual CAs).
ALTER TABLE sync_server ADD COLUMN tls_pin TEXT;

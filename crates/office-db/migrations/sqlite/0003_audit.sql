-- The audit log: every office action (console writes, sign-ins and their failures, rate-limit
-- trips, enrollments, revocations, the staff's commands), one row each, never changed or
-- removed. The admin reads it in the console (审计日志) and with `mingcha-server audit`.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,              -- RFC 3339, UTC
    actor       TEXT NOT NULL,              -- an account's username, `device:<id>`, `cli`, `anonymous`
    action      TEXT NOT NULL,              -- `login`, `login_failed`, `enroll`, `POST /api/console/...`
    target      TEXT,
    client      TEXT,                       -- the client's IP address, when over the network
    detail      TEXT NOT NULL DEFAULT '{}'  -- a small JSON object
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE INDEX audit_log_action ON audit_log (action, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

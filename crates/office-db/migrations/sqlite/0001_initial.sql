-- The office's tables (SQLite). Times are UTC text, `YYYY-MM-DDTHH:MM:SS.ffffffZ`, which
-- sorts as it reads; ids are hyphenated lower-case UUIDs.

CREATE TABLE inspector (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

-- Only the SHA-256 of a token is kept: a copy of the database cannot enroll a device.
CREATE TABLE enroll_token (
    token_sha256  TEXT PRIMARY KEY,
    inspector_id  TEXT NOT NULL REFERENCES inspector (id),
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    spent_at      TEXT,
    spent_by      TEXT
);

CREATE TABLE device (
    id            TEXT PRIMARY KEY,
    inspector_id  TEXT NOT NULL REFERENCES inspector (id),
    name          TEXT NOT NULL,
    public_key    TEXT NOT NULL UNIQUE,
    enrolled_at   TEXT NOT NULL,
    revoked_at    TEXT,
    acked_seq     INTEGER NOT NULL DEFAULT 0 CHECK (acked_seq >= 0)
);

CREATE TABLE batch (
    id               TEXT PRIMARY KEY,
    device_id        TEXT NOT NULL REFERENCES device (id),
    after_seq        INTEGER NOT NULL,
    last_seq         INTEGER NOT NULL,
    manifest         TEXT NOT NULL,
    signature        TEXT NOT NULL,
    manifest_sha256  TEXT NOT NULL,
    stage            TEXT NOT NULL CHECK (stage IN ('open', 'committed')),
    receipt          TEXT,
    received_at      TEXT NOT NULL,
    committed_at     TEXT,
    CHECK ((stage = 'committed') = (receipt IS NOT NULL))
);
CREATE INDEX batch_device_stage ON batch (device_id, stage);

CREATE TABLE batch_blob (
    batch_id  TEXT NOT NULL REFERENCES batch (id),
    sha256    TEXT NOT NULL,
    size      INTEGER NOT NULL CHECK (size >= 0),
    PRIMARY KEY (batch_id, sha256)
);
CREATE INDEX batch_blob_sha256 ON batch_blob (sha256);

-- Each device's change records, exactly as signed. Unique by id and by (device, seq): a
-- second id at the same seq is a fork and is refused.
CREATE TABLE change (
    id           TEXT PRIMARY KEY,
    device_id    TEXT NOT NULL REFERENCES device (id),
    seq          INTEGER NOT NULL CHECK (seq > 0),
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    op           TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    payload      TEXT NOT NULL,
    changed_at   TEXT NOT NULL,
    batch_id     TEXT NOT NULL REFERENCES batch (id),
    received_at  TEXT NOT NULL,
    UNIQUE (device_id, seq)
);

-- The latest state of every entity, for the office's views.
CREATE TABLE record (
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    change_id   TEXT NOT NULL REFERENCES change (id),
    device_id   TEXT NOT NULL REFERENCES device (id),
    seq         INTEGER NOT NULL,
    op          TEXT NOT NULL,
    payload     TEXT NOT NULL,
    changed_at  TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id)
);

-- What the office decided or published, in order. A NULL inspector means every inspector.
CREATE TABLE office_event (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    inspector_id  TEXT REFERENCES inspector (id),
    kind          TEXT NOT NULL,
    subject       TEXT,
    body          TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX office_event_inspector ON office_event (inspector_id, seq);

-- The blobs the blob store holds, verified; the bytes are not in the database.
CREATE TABLE blob (
    sha256     TEXT PRIMARY KEY,
    size       INTEGER NOT NULL CHECK (size >= 0),
    stored_at  TEXT NOT NULL
);

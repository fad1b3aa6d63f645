-- The office's tables (PostgreSQL): the same tables and columns as the SQLite schema, with
-- native types (UUID, TIMESTAMPTZ, JSONB).

CREATE TABLE inspector (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL
);

-- Only the SHA-256 of a token is kept: a copy of the database cannot enroll a device.
CREATE TABLE enroll_token (
    token_sha256  TEXT PRIMARY KEY,
    inspector_id  UUID NOT NULL REFERENCES inspector (id),
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    spent_at      TIMESTAMPTZ,
    spent_by      UUID
);

CREATE TABLE device (
    id            UUID PRIMARY KEY,
    inspector_id  UUID NOT NULL REFERENCES inspector (id),
    name          TEXT NOT NULL,
    public_key    TEXT NOT NULL UNIQUE,
    enrolled_at   TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ,
    acked_seq     BIGINT NOT NULL DEFAULT 0 CHECK (acked_seq >= 0)
);

CREATE TABLE batch (
    id               UUID PRIMARY KEY,
    device_id        UUID NOT NULL REFERENCES device (id),
    after_seq        BIGINT NOT NULL,
    last_seq         BIGINT NOT NULL,
    -- The canonical bytes as text, not JSONB: they are what was signed, byte for byte.
    manifest         TEXT NOT NULL,
    signature        TEXT NOT NULL,
    manifest_sha256  TEXT NOT NULL,
    stage            TEXT NOT NULL CHECK (stage IN ('open', 'committed')),
    receipt          TEXT,
    received_at      TIMESTAMPTZ NOT NULL,
    committed_at     TIMESTAMPTZ,
    CHECK ((stage = 'committed') = (receipt IS NOT NULL))
);
CREATE INDEX batch_device_stage ON batch (device_id, stage);

CREATE TABLE batch_blob (
    batch_id  UUID NOT NULL REFERENCES batch (id),
    sha256    TEXT NOT NULL,
    size      BIGINT NOT NULL CHECK (size >= 0),
    PRIMARY KEY (batch_id, sha256)
);
CREATE INDEX batch_blob_sha256 ON batch_blob (sha256);

-- Each device's change records. Unique by id and by (device, seq): a second id at the same
-- seq is a fork and is refused.
CREATE TABLE change (
    id           UUID PRIMARY KEY,
    device_id    UUID NOT NULL REFERENCES device (id),
    seq          BIGINT NOT NULL CHECK (seq > 0),
    entity       TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    op           TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    payload      JSONB NOT NULL,
    changed_at   TIMESTAMPTZ NOT NULL,
    batch_id     UUID NOT NULL REFERENCES batch (id),
    received_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (device_id, seq)
);

-- The latest state of every entity, for the office's views.
CREATE TABLE record (
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    change_id   UUID NOT NULL REFERENCES change (id),
    device_id   UUID NOT NULL REFERENCES device (id),
    seq         BIGINT NOT NULL,
    op          TEXT NOT NULL,
    payload     JSONB NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (entity, entity_id)
);

-- What the office decided or published, in order. A NULL inspector means every inspector.
CREATE TABLE office_event (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inspector_id  UUID REFERENCES inspector (id),
    kind          TEXT NOT NULL,
    subject       TEXT,
    body          JSONB NOT NULL,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX office_event_inspector ON office_event (inspector_id, seq);

-- The blobs the blob store holds, verified; the bytes are not in the database.
CREATE TABLE blob (
    sha256     TEXT PRIMARY KEY,
    size       BIGINT NOT NULL CHECK (size >= 0),
    stored_at  TIMESTAMPTZ NOT NULL
);

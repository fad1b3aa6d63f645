-- Office events that take effect on the laptop (docs/sync-protocol.md, step 5): assigned
-- plans become plans, and a published taxonomy updates the categories.

-- A category that a newer taxonomy no longer lists is retired, never deleted: findings point
-- at it and still show its name, but it is no longer offered for a new finding.
ALTER TABLE category ADD COLUMN retired_at TEXT;

-- What the laptop could not take from an office event, in words for the inspector: a
-- checklist template an assigned plan names that this laptop does not have, a taxonomy older
-- than the store's. NULL when the event was applied in full (or is kept only as received).
ALTER TABLE office_event ADD COLUMN note TEXT;

//! The registry's tables. `user_version` records the schema version.

/// Current schema version.
pub(crate) const VERSION: i64 = 1;

/// Creates every table and trigger (run once, in a transaction).
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE labels (
    serial       INTEGER PRIMARY KEY CHECK (serial >= 0),
    leaf_index   INTEGER NOT NULL UNIQUE,
    issued       TEXT NOT NULL,
    manufacturer TEXT NOT NULL,
    model        TEXT NOT NULL,
    firmware     TEXT NOT NULL,
    gtin         TEXT,
    support_end  TEXT NOT NULL,
    claims_json  TEXT NOT NULL,
    cose         BLOB NOT NULL,
    recorded_at  TEXT NOT NULL
) STRICT;

CREATE TABLE log_leaves (
    leaf_index INTEGER PRIMARY KEY CHECK (leaf_index >= 0),
    leaf_hash  BLOB NOT NULL CHECK (length(leaf_hash) = 32),
    serial     INTEGER NOT NULL UNIQUE REFERENCES labels (serial)
) STRICT;

CREATE TABLE tree_heads (
    tree_size    INTEGER PRIMARY KEY CHECK (tree_size > 0),
    timestamp_ms INTEGER NOT NULL,
    root_hash    BLOB NOT NULL CHECK (length(root_hash) = 32),
    kid          TEXT NOT NULL,
    signature    BLOB NOT NULL CHECK (length(signature) = 64)
) STRICT;

CREATE TABLE revocations (
    serial     INTEGER PRIMARY KEY REFERENCES labels (serial),
    revoked_at TEXT NOT NULL,
    reason     TEXT NOT NULL
) STRICT;

-- The log's right edge, so appending does not reread every leaf.
CREATE TABLE log_state (
    id       INTEGER PRIMARY KEY CHECK (id = 0),
    frontier BLOB NOT NULL
) STRICT;

CREATE TRIGGER labels_append_only_u BEFORE UPDATE ON labels
BEGIN SELECT RAISE(ABORT, 'labels are append-only'); END;
CREATE TRIGGER labels_append_only_d BEFORE DELETE ON labels
BEGIN SELECT RAISE(ABORT, 'labels are append-only'); END;
CREATE TRIGGER leaves_append_only_u BEFORE UPDATE ON log_leaves
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER leaves_append_only_d BEFORE DELETE ON log_leaves
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER heads_append_only_u BEFORE UPDATE ON tree_heads
BEGIN SELECT RAISE(ABORT, 'tree heads are append-only'); END;
CREATE TRIGGER heads_append_only_d BEFORE DELETE ON tree_heads
BEGIN SELECT RAISE(ABORT, 'tree heads are append-only'); END;
CREATE TRIGGER revocations_permanent_u BEFORE UPDATE ON revocations
BEGIN SELECT RAISE(ABORT, 'revocations are permanent'); END;
CREATE TRIGGER revocations_permanent_d BEFORE DELETE ON revocations
BEGIN SELECT RAISE(ABORT, 'revocations are permanent'); END;

PRAGMA user_version = 1;
"#;

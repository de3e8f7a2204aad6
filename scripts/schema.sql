-- The mod_artifacts catalogue, for MariaDB >= 10.5 or MySQL >= 8.0 with InnoDB.
--
-- Load it once into an empty database:
--   mariadb --no-defaults -h DBHOST -u root -p artifacts < scripts/schema.sql
-- The module's own user needs only SELECT, INSERT, UPDATE and DELETE on these tables.
--
-- Versions. schema_version holds one row per version applied; the module reads the
-- highest and refuses to use a catalogue it does not know (ARTF0402 in the error log).
-- This file creates the current version (3). An upgrade is a file
-- scripts/schema-upgrade-N.sql that changes the tables and inserts row N; apply each in
-- order, with the module stopped or still at the old version refusing the new one:
--   2: claims carry their owner, a lease and the quota they reserved.
--   3: tokens keep their scope and expiry; artifacts are indexed by expiry and mtime (artifacts-prune).
--
-- Paths are stored as bytes (VARBINARY), compared byte for byte: a path is case-sensitive
-- and its UTF-8 is exactly what the client sent. A path is at most 1,024 bytes, so the
-- unique key on it (and the parent + name key, 2,048 bytes) stay within InnoDB's 3,072-byte limit for
-- an index key; a utf8mb4 VARCHAR(1024) would need 4,096.

CREATE TABLE schema_version (
    version INT NOT NULL PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    description VARCHAR(255) NOT NULL
) ENGINE = InnoDB;

-- One row per stored artifact, and one per directory that holds one (so a directory's
-- index is a single indexed query on parent). A directory's path ends with '/'.
CREATE TABLE artifacts (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    path VARBINARY(1024) NOT NULL,             -- below ArtifactsRoot, no leading '/'
    parent VARBINARY(1024) NOT NULL,           -- '' for the top, else ending with '/'
    name VARBINARY(1024) NOT NULL,             -- last segment, without a '/'
    is_directory BOOLEAN NOT NULL DEFAULT FALSE,
    size BIGINT UNSIGNED NOT NULL DEFAULT 0,   -- bytes as stored (compressed when encoded)
    mtime BIGINT NOT NULL,                     -- Unix seconds
    content_type VARCHAR(255) NOT NULL DEFAULT '',
    content_encoding VARCHAR(32) NOT NULL DEFAULT '',  -- '' or 'gzip'
    sha256 CHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '',  -- of the bytes as stored
    etag CHAR(32) CHARACTER SET ascii NOT NULL DEFAULT '',    -- Swift's (MD5) ETag
    store VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'swift',  -- 'swift' or 'fs'
    container VARCHAR(256) NOT NULL DEFAULT '',
    object VARBINARY(1024) NOT NULL DEFAULT '',
    jti VARBINARY(256) NOT NULL DEFAULT '',    -- the token that wrote it (a jti is at most 256 bytes)
    build VARBINARY(1024) NOT NULL DEFAULT '',  -- the token's build and job claims, cut at 1,024 bytes
    job VARBINARY(1024) NOT NULL DEFAULT '',
    expires_at BIGINT NULL,                    -- Swift deletes the object then (X-Delete-At)
    summary VARCHAR(512) CHARACTER SET ascii NULL,  -- a log's lines per level, counted at upload
    UNIQUE KEY by_path (path),
    KEY by_parent (parent, name),
    KEY by_jti (jti),
    KEY by_expiry (expires_at),                -- artifacts-prune: rows past their expiry
    KEY by_mtime (mtime)                       -- artifacts-prune --older-than
) ENGINE = InnoDB ROW_FORMAT = DYNAMIC;

-- The token ledger: lifetime quotas and sealing, shared by every server. bytes_used and
-- files_used include what uploads in progress have reserved.
CREATE TABLE tokens (
    jti VARBINARY(256) NOT NULL PRIMARY KEY,
    bytes_used BIGINT UNSIGNED NOT NULL DEFAULT 0,
    files_used BIGINT UNSIGNED NOT NULL DEFAULT 0,
    sealed_at BIGINT NULL,                     -- Unix seconds; NULL while open
    first_seen TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    scope VARBINARY(1024) NOT NULL DEFAULT '',  -- the token's scope claim ('' in rows of version 2)
    expires_at BIGINT NULL,                    -- its exp claim; NULL in rows of version 2
    KEY by_expiry (expires_at)
) ENGINE = InnoDB;

-- A path being uploaded right now, by any server: a second upload of the same path
-- waits its turn instead of racing the first inside Swift. `owner` names the upload (one
-- request) holding the claim; it renews `lease_until` while it works, so a claim whose
-- owner died (or lost the database) can be taken over once the lease ran out. What the
-- upload reserved of its token's quota is kept on its first claim, so whoever ends the
-- claim (the upload, or the one taking it over) gives exactly that back.
CREATE TABLE uploads_in_progress (
    path VARBINARY(1024) NOT NULL PRIMARY KEY,
    jti VARBINARY(256) NOT NULL,
    owner CHAR(32) CHARACTER SET ascii NOT NULL,
    started_at BIGINT NOT NULL,                -- Unix seconds
    lease_until BIGINT NOT NULL,               -- Unix seconds, the database's clock
    reserved_bytes BIGINT UNSIGNED NOT NULL DEFAULT 0,
    reserved_files BIGINT UNSIGNED NOT NULL DEFAULT 0,
    KEY by_owner (owner),
    KEY by_lease (lease_until)
) ENGINE = InnoDB ROW_FORMAT = DYNAMIC;

-- Events after commit (ArtifactsNotify with ArtifactsStore swift): one row per event and
-- receiver, written in the transaction of the commit it tells of, deleted once delivered.
CREATE TABLE outbox (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    receiver VARBINARY(1024) NOT NULL,          -- the URL of an ArtifactsNotify line
    event_id CHAR(32) CHARACTER SET ascii NOT NULL,  -- the idempotency key
    kind VARCHAR(16) CHARACTER SET ascii NOT NULL,   -- 'seal' or 'file'
    signature VARCHAR(80) CHARACTER SET ascii NOT NULL,  -- 'sha256=' and the HMAC of body
    body MEDIUMBLOB NOT NULL,                   -- the event's JSON
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    created BIGINT NOT NULL,                    -- Unix seconds
    next_attempt BIGINT NOT NULL,               -- due then (a delivery's lease moves it on)
    KEY by_due (next_attempt)
) ENGINE = InnoDB;

INSERT INTO schema_version (version, description) VALUES
    (1, 'artifacts, tokens, uploads_in_progress'),
    (2, 'claims with owner, lease and reservation'),
    (3, 'tokens keep their scope and expiry'),
    (4, 'artifacts keep a log summary; the outbox of events');

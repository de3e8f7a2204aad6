-- mod_artifacts catalogue: version 2 -> 3 (tokens keep their scope and expiry; artifacts are
-- indexed by expiry and mtime: for artifacts-prune).
--   mariadb --no-defaults -h DBHOST -u root -p artifacts < scripts/schema-upgrade-3.sql
-- Rows of version 2 keep an empty scope and no expiry: artifacts-prune counts such a token
-- as open until --max-lifetime after it was first seen.
ALTER TABLE tokens
    ADD COLUMN scope VARBINARY(1024) NOT NULL DEFAULT '',
    ADD COLUMN expires_at BIGINT NULL,
    ADD KEY by_expiry (expires_at);
-- Two indexes for artifacts-prune's ranges. InnoDB builds them in place, without blocking
-- reads or writes; on a catalogue of millions of rows this takes minutes.
ALTER TABLE artifacts
    ADD KEY by_expiry (expires_at),
    ADD KEY by_mtime (mtime);
INSERT INTO schema_version (version, description) VALUES (3, 'tokens keep their scope and expiry');

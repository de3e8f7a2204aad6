-- mod_artifacts catalogue: version 1 -> 2 (claims with owner, lease and reservation).
--   mariadb --no-defaults -h DBHOST -u root -p artifacts < scripts/schema-upgrade-2.sql
-- Claims left by version 1 get a lease that runs out when their hour would have.
ALTER TABLE uploads_in_progress
    ADD COLUMN owner CHAR(32) CHARACTER SET ascii NOT NULL DEFAULT '' AFTER jti,
    ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0 AFTER started_at,
    ADD COLUMN reserved_bytes BIGINT UNSIGNED NOT NULL DEFAULT 0,
    ADD COLUMN reserved_files BIGINT UNSIGNED NOT NULL DEFAULT 0,
    ADD KEY by_owner (owner),
    ADD KEY by_lease (lease_until);
UPDATE uploads_in_progress SET lease_until = started_at + 3600;
ALTER TABLE uploads_in_progress ALTER COLUMN owner DROP DEFAULT;
INSERT INTO schema_version (version, description) VALUES (2, 'claims with owner, lease and reservation');

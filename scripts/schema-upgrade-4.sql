-- mod_artifacts catalogue: version 3 -> 4 (a log's summary, counted as it was uploaded,
-- kept in its row: the index's badges and the seal's manifest show it; the outbox of events
-- for ArtifactsNotify).
--   mariadb --no-defaults -h DBHOST -u root -p artifacts < scripts/schema-upgrade-4.sql
-- Rows of version 3 have no summary (NULL): their files show none.
ALTER TABLE artifacts
    ADD COLUMN summary VARCHAR(512) CHARACTER SET ascii NULL;
CREATE TABLE outbox (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    receiver VARBINARY(1024) NOT NULL,
    event_id CHAR(32) CHARACTER SET ascii NOT NULL,
    kind VARCHAR(16) CHARACTER SET ascii NOT NULL,
    signature VARCHAR(80) CHARACTER SET ascii NOT NULL,
    body MEDIUMBLOB NOT NULL,
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    created BIGINT NOT NULL,
    next_attempt BIGINT NOT NULL,
    KEY by_due (next_attempt)
) ENGINE = InnoDB;
INSERT INTO schema_version (version, description) VALUES (4, 'artifacts keep a log summary; the outbox of events');

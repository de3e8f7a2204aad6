-- mod_artifacts catalogue: version 3 -> 4 (a log's summary, counted as it was uploaded,
-- kept in its row: the index's badges and the seal's manifest show it).
--   mariadb --no-defaults -h DBHOST -u root -p artifacts < scripts/schema-upgrade-4.sql
-- Rows of version 3 have no summary (NULL): their files show none.
ALTER TABLE artifacts
    ADD COLUMN summary VARCHAR(512) CHARACTER SET ascii NULL;
INSERT INTO schema_version (version, description) VALUES (4, 'artifacts keep a log summary');

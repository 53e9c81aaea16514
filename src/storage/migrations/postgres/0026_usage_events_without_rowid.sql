-- 0026_usage_events_without_rowid.sql (postgres): nothing to change. On SQLite
-- this step rebuilds usage_events as a WITHOUT ROWID table; PostgreSQL's
-- tables have no rowid and its usage_events already lists events of one
-- millisecond by event id. Kept in step with ../sqlite/0026_usage_events_without_rowid.sql,
-- including its marker (both backends declare the same).
-- Never edit an applied migration: add a new file.
-- compatible_with: none

SELECT 1;

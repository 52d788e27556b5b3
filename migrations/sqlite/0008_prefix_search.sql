-- Prefix searches of provisioning (SCIM `sw`) compare in SQLite's default
-- byte order, which the indexes of 0001 and 0006 already answer: nothing
-- to add here (the PostgreSQL migration of the same number adds indexes
-- in the "C" collation).
SELECT 1;

-- lastUpdate beside each live id, in id order: a page in id order of a lastUpdate range (`lastUpdate.gt=`)
-- walks this index and tests each entry's value here, reading a row only when it matches, where
-- the walk through documents_live parsed every body it passed (store/sqlite_counts.py: range_plan).
-- Named as a member index (hex of the member's name); the expression is its member index's.
CREATE INDEX IF NOT EXISTS documents_walk_6c617374557064617465
ON documents (scope, kind, deleted, id, json_extract(body, '$."lastUpdate"'));

-- How many live documents hold a value of a declared path, for values held by 200 or more
-- (store/sqlite_paths.py: PATH_COUNTED, count_paths): the total of `category.id=<value>` reads one
-- row instead of counting the value's path rows (a million of them for a category every offering
-- has). A row is exact, kept by the store with the path rows; a value without one is counted.
CREATE TABLE path_counts (
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    value TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (scope, kind, path, value)
) WITHOUT ROWID;
INSERT INTO path_counts (scope, kind, path, value, n)
SELECT scope, kind, path, value, count(*) FROM document_paths GROUP BY scope, kind, path, value
HAVING count(*) >= 200;

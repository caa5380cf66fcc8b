-- lastUpdate beside each live id, in id order: a page in id order of a lastUpdate range (`lastUpdate.gt=`)
-- walks this index and tests each entry's value here, reading a row only when it matches, where
-- the walk through documents_live parsed every body it passed (store/sqlite_counts.py: range_plan).
-- Named as a member index (hex of the member's name); the expression is its member index's.
CREATE INDEX IF NOT EXISTS documents_walk_6c617374557064617465
ON documents (scope, kind, deleted, id, json_extract(body, '$."lastUpdate"'));

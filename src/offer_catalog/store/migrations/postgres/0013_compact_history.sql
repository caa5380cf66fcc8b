-- Compact history: document_versions keeps past versions only (the current version is the documents
-- row itself), each body written from now on as zlib-compressed JSON text in `packed` (store/pg_history.py),
-- about 40% of the JSON text. Past versions written before keep their JSONB body and are read as they
-- are; the copies of current versions go.
ALTER TABLE document_versions ADD COLUMN packed BYTEA;
ALTER TABLE document_versions ALTER COLUMN body DROP NOT NULL;
DELETE FROM document_versions v USING documents d
WHERE v.scope = d.scope AND v.kind = d.kind AND v.id = d.id AND v.version = d.version;

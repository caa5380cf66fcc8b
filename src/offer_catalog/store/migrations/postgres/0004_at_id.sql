-- The body's "@id" (a JSON-LD identifier, as Offer Library instances carry) as an indexed column, so
-- that references between documents resolve with an index lookup instead of a scan of the scope.
ALTER TABLE documents ADD COLUMN at_id TEXT COLLATE "C";
UPDATE documents SET at_id = body ->> '@id' WHERE jsonb_typeof(body -> '@id') = 'string';
CREATE INDEX documents_scope_at_id ON documents (scope, at_id);

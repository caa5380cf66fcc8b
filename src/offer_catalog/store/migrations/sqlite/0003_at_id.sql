-- The body's "@id" (a JSON-LD identifier, as Offer Library instances carry) as an indexed column, so
-- that references between documents resolve with an index lookup instead of a scan of the scope.
ALTER TABLE documents ADD COLUMN at_id TEXT;
UPDATE documents SET at_id = json_extract(body, '$."@id"') WHERE json_type(body, '$."@id"') = 'text';
CREATE INDEX documents_scope_at_id ON documents (scope, at_id);

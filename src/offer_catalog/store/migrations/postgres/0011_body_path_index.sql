-- Filters on any member, nested path or array member compare with `body @? path`: one GIN index
-- (jsonb_path_ops: hashes of each value with its path, compact) answers every such equality, combined
-- with the scope and kind by a bitmap AND. Declared top-level members keep their B-tree expression
-- indexes (ranges, sorts); this one serves what no expression index names.
CREATE INDEX documents_body_paths ON documents USING gin (body jsonb_path_ops);

-- A write now removes a document's path rows by their full key (the values of the body it
-- replaces): the index by document only cost space (as much as the rows themselves) and time.
DROP INDEX document_paths_by_document;

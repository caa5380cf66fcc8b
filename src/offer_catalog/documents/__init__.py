"""The core service: versioned, typed JSON documents with history and an outbox; knows no HTTP."""

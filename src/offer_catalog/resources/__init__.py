"""Typed rules per resource kind: shapes, defaults, lifecycles and references, pure (no I/O)."""

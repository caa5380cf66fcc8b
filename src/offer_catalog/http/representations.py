"""A bounded cache of serialized answers to GET one resource, per process.

A GET reads the stored document on every request (so a write by any process or worker is seen at
once); what it then builds from it (the release's view, the `fields` selection, the member names, the
JSON encoding) depends only on that stored version and on how the request asked for it. The cache
keeps those body bytes under the document's key, for its stored stamp (version and modification
time: a write changes both, a restored backup the time) and the request's variant (base path,
resource, query string...): a repeated GET skips the view and the encoding; a changed document is
never served from the cache, since its stamp differs from the one cached.

Bounded by entries and by body bytes, least recently used evicted first; 0 entries disables it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

Key = tuple[str, str, str]  # scope, kind, id of the stored document
Stamp = tuple[int, str]  # its version and modification time


class _Variants:
    """The cached answers of one stored document, all for one stamp."""

    __slots__ = ("bodies", "size", "stamp")

    def __init__(self, stamp: Stamp) -> None:
        self.stamp = stamp
        self.bodies: dict[Hashable, bytes] = {}
        self.size = 0


class Representations:
    """Body bytes of GET answers by (document key, stamp, variant); LRU by document."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.entries = 0
        self.bytes = 0
        self._docs: OrderedDict[Key, _Variants] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.max_bytes > 0

    def get(self, key: Key, stamp: Stamp, variant: Hashable) -> bytes | None:
        """The cached body of that variant of that stored version, or None."""
        held = self._docs.get(key)
        if held is None or held.stamp != stamp:
            return None
        body = held.bodies.get(variant)
        if body is not None:
            self._docs.move_to_end(key)
        return body

    def put(self, key: Key, stamp: Stamp, variant: Hashable, body: bytes) -> None:
        """Keep a body; answers cached for another stamp of the document are dropped."""
        if not self.enabled or len(body) > self.max_bytes:
            return
        held = self._docs.get(key)
        if held is None or held.stamp != stamp:
            if held is not None:
                self._drop(key)
            held = self._docs[key] = _Variants(stamp)
        else:
            self._docs.move_to_end(key)
        old = held.bodies.get(variant)
        if old is not None:
            self.entries -= 1
            self.bytes -= len(old)
            held.size -= len(old)
        held.bodies[variant] = body
        held.size += len(body)
        self.entries += 1
        self.bytes += len(body)
        while self.entries > self.max_entries or self.bytes > self.max_bytes:
            self._drop(next(iter(self._docs)))

    def forget(self, key: Key) -> None:
        """Drop every answer cached for a document (deleted: its memory is freed at once)."""
        if key in self._docs:
            self._drop(key)

    def _drop(self, key: Key) -> None:
        held = self._docs.pop(key)
        self.entries -= len(held.bodies)
        self.bytes -= held.size

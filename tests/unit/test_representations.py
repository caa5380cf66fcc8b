"""The representation cache's bounds and keys (offer_catalog/http/representations.py)."""

from __future__ import annotations

from offer_catalog.http import Representations

DOC = ("tmf620", "ProductOffering", "po-1")


def test_an_answer_is_served_for_its_stamp_and_variant_only() -> None:
    cache = Representations(10, 1000)
    cache.put(DOC, (1, "t1"), ("v4", ""), b"one")
    assert cache.get(DOC, (1, "t1"), ("v4", "")) == b"one"
    assert cache.get(DOC, (2, "t2"), ("v4", "")) is None
    assert cache.get(DOC, (1, "t0"), ("v4", "")) is None  # same version, another write (a restore)
    assert cache.get(DOC, (1, "t1"), ("v5", "")) is None
    assert cache.get(("other", *DOC[1:]), (1, "t1"), ("v4", "")) is None


def test_a_new_stamp_drops_the_older_answers() -> None:
    cache = Representations(10, 1000)
    cache.put(DOC, (1, "t1"), "a", b"aaaa")
    cache.put(DOC, (1, "t1"), "b", b"bb")
    assert (cache.entries, cache.bytes) == (2, 6)
    cache.put(DOC, (2, "t2"), "a", b"x")
    assert (cache.entries, cache.bytes) == (1, 1)
    assert cache.get(DOC, (1, "t1"), "b") is None


def test_bounded_by_entries_least_recently_used_first() -> None:
    cache = Representations(2, 1000)
    docs = [("s", "k", str(i)) for i in range(3)]
    cache.put(docs[0], (1, "t"), "", b"0")
    cache.put(docs[1], (1, "t"), "", b"1")
    assert cache.get(docs[0], (1, "t"), "") == b"0"  # now the most recently used
    cache.put(docs[2], (1, "t"), "", b"2")
    assert cache.get(docs[1], (1, "t"), "") is None
    assert cache.get(docs[0], (1, "t"), "") == b"0" and cache.get(docs[2], (1, "t"), "") == b"2"
    assert cache.entries == 2


def test_bounded_by_bytes() -> None:
    cache = Representations(100, 10)
    cache.put(("s", "k", "a"), (1, "t"), "", b"123456")
    cache.put(("s", "k", "b"), (1, "t"), "", b"123456")
    assert cache.get(("s", "k", "a"), (1, "t"), "") is None
    assert cache.bytes == 6
    cache.put(("s", "k", "c"), (1, "t"), "", b"12345678901")  # larger than the whole cache: not kept
    assert cache.get(("s", "k", "c"), (1, "t"), "") is None and cache.bytes == 6


def test_forget_and_disabled() -> None:
    cache = Representations(10, 1000)
    cache.put(DOC, (1, "t"), "", b"x")
    cache.forget(DOC)
    cache.forget(DOC)
    assert cache.get(DOC, (1, "t"), "") is None and (cache.entries, cache.bytes) == (0, 0)
    off = Representations(0, 1000)
    off.put(DOC, (1, "t"), "", b"x")
    assert off.get(DOC, (1, "t"), "") is None

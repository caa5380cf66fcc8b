"""Order statistics on SQLite: live keys counted per bucket ("fences", migration 0010).

A bucket of (scope, kind, member) holds the keys from its fence up to the next fence; member '' is
the id, any other member the text values of its member index. Triggers keep each bucket's count
exact on every write, whichever process writes the file. A page N deep in id order sums whole
buckets to land in the one holding key N, then walks that bucket in the index; a range total sums
the buckets wholly inside the range and counts the one bucket at its edge through the index. The
store splits buckets that grow past twice FENCE_SIZE (a split moves no key between buckets it does
not recount, so counts stay exact whenever it runs); a bucket holding one value only never splits.
"""

from __future__ import annotations

import bisect
import itertools
import sqlite3
from collections import Counter
from collections.abc import Iterable

from offer_catalog.documents.query import Op, check_path
from offer_catalog.store.sqlcompile import member_index_name, sqlite_member_expr

# Keys a bucket holds after a split (a deep page or a range edge walks about this many).
FENCE_SIZE = 1000

_BUCKET = (
    "coalesce((SELECT max(fence) FROM key_fences WHERE scope = {row}.scope AND kind = {row}.kind "
    "AND member = '{member}' AND fence <= {key}), '')"
)


def trigger_name(member: str) -> str:
    """The name prefix of a member's fence triggers (hex of the name, as its index's)."""
    return member_index_name(member).replace("documents_member_", "documents_fence_")


def fence_triggers(member: str) -> list[str]:
    """The triggers that count a member's text values per bucket (a declared member name)."""
    name = check_path((member,))[0]

    def key(row: str) -> str:
        return f"json_extract({row}.body, '$.\"{name}\"')"

    def counted(row: str) -> str:
        return f"{row}.deleted = 0 AND typeof({key(row)}) = 'text'"

    add = (
        "INSERT INTO key_fences (scope, kind, member, fence, n) SELECT NEW.scope, NEW.kind, "
        f"'{name}', {_BUCKET.format(row='NEW', member=name, key=key('NEW'))}, 1 WHERE {counted('NEW')} "
        "ON CONFLICT (scope, kind, member, fence) DO UPDATE SET n = n + 1;"
    )
    remove = (
        f"UPDATE key_fences SET n = n - 1 WHERE {counted('OLD')} AND scope = OLD.scope AND kind = OLD.kind "
        f"AND member = '{name}' AND fence = {_BUCKET.format(row='OLD', member=name, key=key('OLD'))};"
    )
    return counting_triggers(trigger_name(name), add, remove, member_changed(name))


def member_changed(name: str) -> str:
    """An update's condition for a member's counts to move: the row's liveness or the member's JSON
    type or value changed (when neither did, removing then adding it again changes no count)."""
    path = f"'$.\"{name}\"'"
    return (
        f"OLD.deleted IS NOT NEW.deleted OR json_type(OLD.body, {path}) IS NOT json_type(NEW.body, {path}) "
        f"OR json_extract(OLD.body, {path}) IS NOT json_extract(NEW.body, {path})"
    )


def counting_triggers(prefix: str, add: str, remove: str, changed: str) -> list[str]:
    """Triggers `{prefix}_i/_u/_d` that keep a counting table in step with `documents`: an insert runs
    `add` (a statement on NEW), a delete `remove` (on OLD), an update both (remove, then add) when
    `changed` holds (an update that leaves the counted member alike runs neither)."""
    return [
        f"CREATE TRIGGER {prefix}_i AFTER INSERT ON documents BEGIN {add} END",
        f"CREATE TRIGGER {prefix}_u AFTER UPDATE ON documents WHEN {changed} BEGIN {remove} {add} END",
        f"CREATE TRIGGER {prefix}_d AFTER DELETE ON documents BEGIN {remove} END",
    ]


def keep_triggers(conn: sqlite3.Connection, prefix: str, statements: list[str]) -> bool:
    """Whether a member's counting triggers exist; an update trigger written by an older release
    (one that ran on every update) is replaced by the current one, in the caller's transaction."""
    row = conn.execute(
        "SELECT (SELECT 1 FROM sqlite_master WHERE name = ?1), "
        "(SELECT sql FROM sqlite_master WHERE name = ?2)",
        (f"{prefix}_i", f"{prefix}_u"),
    ).fetchone()
    if row[0] is None:
        return False
    update = next(s for s in statements if s.startswith(f"CREATE TRIGGER {prefix}_u "))
    if row[1] != update:
        conn.execute(f'DROP TRIGGER IF EXISTS "{prefix}_u"')
        conn.execute(update)
    return True


def fence_member(conn: sqlite3.Connection, member: str) -> None:
    """Start counting a member per bucket (in the caller's write transaction; its index exists)."""
    name = check_path((member,))[0]
    statements = fence_triggers(name)
    if keep_triggers(conn, trigger_name(name), statements):
        return
    for statement in statements:
        conn.execute(statement)
    conn.execute("DELETE FROM key_fences WHERE member = ?", (name,))
    conn.execute(
        "INSERT INTO key_fences (scope, kind, member, fence, n) "
        f"SELECT scope, kind, ?, '', count(*) FROM documents WHERE deleted = 0 AND {_key(name)} >= '' "
        "GROUP BY scope, kind",
        (name,),
    )


def _key(member: str) -> str:
    """The SQL of a member's key (the id for member ''), as its index holds it."""
    return "id" if member == "" else sqlite_member_expr(member)


def _source(member: str) -> str:
    """documents through the index that holds the member's keys in order."""
    return f"documents INDEXED BY {'documents_live' if member == '' else member_index_name(member)}"


def split_fences(conn: sqlite3.Connection, size: int | None = None) -> int:
    """Split every bucket holding more than twice `size` (FENCE_SIZE) keys, in a write transaction;
    how many were split."""
    size = size or FENCE_SIZE
    rows = conn.execute(
        "SELECT scope, kind, member, fence, n FROM key_fences WHERE n > ?", (2 * size,)
    ).fetchall()
    return sum(_split(conn, scope, kind, member, fence, n, size) for scope, kind, member, fence, n in rows)


def _split(
    conn: sqlite3.Connection, scope: str, kind: str, member: str, fence: str, n: int, size: int
) -> int:
    key, source = _key(member), _source(member)
    after = conn.execute(
        "SELECT min(fence) FROM key_fences WHERE scope = ? AND kind = ? AND member = ? AND fence > ?",
        (scope, kind, member, fence),
    ).fetchone()[0]
    bound = "" if after is None else f" AND {key} < :after"
    within = f"FROM {source} WHERE scope = :scope AND kind = :kind AND deleted = 0{bound} AND {key}"
    base = f"{within} >= :cur"
    params = {"scope": scope, "kind": kind, "cur": fence, "after": after, "size": size}
    fences: list[str] = []
    while True:
        row = conn.execute(f"SELECT {key} {base} ORDER BY {key} LIMIT 1 OFFSET :size", params).fetchone()
        if row is None:
            break
        if row[0] == params["cur"]:
            # One value fills the walk: the next bucket starts at the next value.
            # (`>` alone: with `>=` too, SQLite would scan every key equal to cur.)
            row = conn.execute(f"SELECT min({key}) {within} > :cur", params).fetchone()
            if row[0] is None:
                break
        fences.append(row[0])
        params["cur"] = row[0]
    if not fences:
        return 0
    bounds = [*fences, after]
    counts = []
    for low, high in itertools.pairwise(bounds):
        where = f"{key} >= :low" + ("" if high is None else f" AND {key} < :high")
        counts.append(
            conn.execute(
                f"SELECT count(*) FROM {source} WHERE scope = :scope AND kind = :kind AND deleted = 0 "
                f"AND {where}",
                {"scope": scope, "kind": kind, "low": low, "high": high},
            ).fetchone()[0]
        )
    conn.execute(
        "UPDATE key_fences SET n = ? WHERE scope = ? AND kind = ? AND member = ? AND fence = ?",
        (n - sum(counts), scope, kind, member, fence),
    )
    conn.executemany(
        "INSERT INTO key_fences (scope, kind, member, fence, n) VALUES (?, ?, ?, ?, ?)",
        [(scope, kind, member, f, c) for f, c in zip(fences, counts, strict=True)],
    )
    return 1


def locate(conn: sqlite3.Connection, scope: str, kind: str, offset: int) -> tuple[str, int] | None:
    """(fence, offset within its bucket) of the live id at `offset` in id order; None past the end."""
    seen = 0
    rows = conn.execute(
        "SELECT fence, n FROM key_fences WHERE scope = ? AND kind = ? AND member = '' ORDER BY fence",
        (scope, kind),
    )
    for fence, n in rows:
        if seen + n > offset:
            return fence, offset - seen
        seen += n
    return None


def range_total(conn: sqlite3.Connection, scope: str, kind: str, member: str, op: Op, value: str) -> int:
    """How many live documents have `member <op> value` (a text value; op GT, GE, LT or LE)."""
    if op in (Op.LT, Op.LE):
        # The complement among every key (numbers sort before any text, as `<` compares them).
        above = range_total(conn, scope, kind, member, Op.GE if op is Op.LT else Op.GT, value)
        return key_count(conn, scope, kind, member) - above
    strict = op is Op.GT
    whole = _sum(conn, scope, kind, member, value, strict=strict)
    # The first fence past the bucket value falls in: that bucket's keys past value are counted.
    row = conn.execute(
        f"SELECT min(fence) FROM key_fences WHERE scope = ? AND kind = ? AND member = ? "
        f"AND fence {'>' if strict else '>='} ?",
        (scope, kind, member, value),
    ).fetchone()
    where = f"{_key(member)} {'>' if strict else '>='} :value"
    if row[0] is not None:
        where += f" AND {_key(member)} < :fence"
    edge = conn.execute(
        f"SELECT count(*) FROM {_source(member)} WHERE scope = :scope AND kind = :kind AND deleted = 0 "
        f"AND {where}",
        {"scope": scope, "kind": kind, "value": value, "fence": row[0]},
    ).fetchone()[0]
    return int(whole + edge)


def key_count(conn: sqlite3.Connection, scope: str, kind: str, member: str) -> int:
    """Live documents whose member is a text or a number (what `<` with a text can match)."""
    numbers = conn.execute(
        f"SELECT count(*) FROM {_source(member)} WHERE scope = ? AND kind = ? AND deleted = 0 "
        f"AND {_key(member)} < ''",
        (scope, kind),
    ).fetchone()[0]
    return _sum(conn, scope, kind, member, "") + int(numbers)


def _sum(
    conn: sqlite3.Connection, scope: str, kind: str, member: str, low: str, *, strict: bool = False
) -> int:
    row = conn.execute(
        "SELECT coalesce(sum(n), 0) FROM key_fences WHERE scope = ? AND kind = ? AND member = ? "
        f"AND fence {'>' if strict else '>='} ?",
        (scope, kind, member, low),
    ).fetchone()
    return int(row[0])


def add_fence_rows(conn: sqlite3.Connection, scope: str, kind: str, member: str, ids: list[str]) -> None:
    """Count these documents' keys as the member's insert trigger does (keys SQLite renders)."""
    name = check_path((member,))[0]
    key = f"json_extract(d.body, '$.\"{name}\"')"
    bucket = _BUCKET.format(row="d", member=name, key=key)
    conn.executemany(
        f"INSERT INTO key_fences (scope, kind, member, fence, n) SELECT d.scope, d.kind, ?, {bucket}, 1 "
        f"FROM documents AS d WHERE d.scope = ? AND d.kind = ? AND d.id = ? AND typeof({key}) = 'text' "
        "ON CONFLICT (scope, kind, member, fence) DO UPDATE SET n = n + 1",
        [(member, scope, kind, i) for i in ids],
    )


class FenceTally:
    """Bucket counts of a batch of new keys, as the fence triggers would add them (bulk loads)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.fences: dict[tuple[str, str, str], list[str]] = {}
        self.counts: Counter[tuple[str, str, str, str]] = Counter()

    def add(self, scope: str, kind: str, member: str, keys: Iterable[str]) -> None:
        """Count keys of one (scope, kind, member) in the buckets they fall in."""
        group = (scope, kind, member)
        fences = self.fences.get(group)
        if fences is None:
            fences = self.fences[group] = [
                r[0]
                for r in self.conn.execute(
                    "SELECT fence FROM key_fences WHERE scope = ? AND kind = ? AND member = ? ORDER BY fence",
                    group,
                )
            ] or [""]
        for key in keys:
            self.counts[(*group, fences[bisect.bisect_right(fences, key) - 1])] += 1

    def write(self) -> None:
        """Add the counts to key_fences (in the caller's transaction)."""
        self.conn.executemany(
            "INSERT INTO key_fences (scope, kind, member, fence, n) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (scope, kind, member, fence) DO UPDATE SET n = n + excluded.n",
            [(*group, n) for group, n in self.counts.items()],
        )
        self.counts.clear()

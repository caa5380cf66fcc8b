"""Route lookup by path shape: a request finds its route in a few dict lookups, not a scan of every regex.

Starlette's router tries each route's regex in order and serves the first full match. `ShapeRouter`
keeps that rule and only narrows the search: a tree of literal segments and `{param}` segments
gives the earliest route whose shape fits the path; that route's own `matches` confirms it. Any
other outcome (no shape fits, the method is not the route's, a route the tree cannot describe comes
first) falls back to the ordinary scan, so 404, 405 and Allow are Starlette's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

_UNSET = 1 << 62  # larger than any route index


@dataclass(slots=True)
class _Node:
    literal: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    end: int = _UNSET  # the least key of a template ending here
    below: int = _UNSET  # the least key of a prefix ending here (it fits every path below it too)
    least: int = _UNSET  # the least key here or anywhere under this node
    exact: bool = False  # the template ending here fits no path that had a trailing "/" stripped


class SegmentTree:
    """Path templates as a tree of literal and `{param}` segments, each with a number (its key):
    `first(parts)` gives the least key of a template fitting a path, in a few dict look-ups.

    A `{param}` segment fits any one non-empty segment. Used for the routers' route order and for
    the scope table of auth/policy.py.
    """

    def __init__(self) -> None:
        self.root = _Node()

    def add(self, shape: list[str | None], key: int, *, prefix: bool = False, exact: bool = False) -> None:
        """Add a template: its literal segments, None for each `{param}`; `prefix`: it also fits every
        path below it; `exact`: it does not fit a path whose trailing "/" was stripped."""
        node = self.root
        node.least = min(node.least, key)
        for part in shape:
            if part is None:
                node.param = node.param or _Node()
                node = node.param
            else:
                node = node.literal.setdefault(part, _Node())
            node.least = min(node.least, key)  # the key is under every node on its way
        if prefix:
            node.below = min(node.below, key)
        elif key < node.end:
            node.end, node.exact = key, exact

    def first(self, parts: list[str], best: int = _UNSET, *, stripped: bool = False) -> int:
        """The least key of a template fitting the path `parts` (`path.split("/")`) if below best,
        else best; `stripped`: the path had a trailing "/" the caller removed."""
        return _walk(self.root, parts, 0, best, stripped)


def _segments(template: str) -> list[str | None] | None:
    """A route path as literal segments and None for `{param}` (str convertor); None if it has others."""
    shape: list[str | None] = []
    for part in template.split("/"):
        if "{" not in part and "}" not in part:
            shape.append(part)
        elif part.startswith("{") and part.endswith("}") and part.count("{") == 1:
            name, _, convertor = part[1:-1].partition(":")
            if convertor not in ("", "str") or not name:
                return None
            shape.append(None)
        else:
            return None
    return shape


def _params(template: str) -> tuple[tuple[int, str], ...]:
    """(segment position, name) of each `{param}` of a template `_segments` describes."""
    return tuple(
        (at, part[1:-1].partition(":")[0])
        for at, part in enumerate(template.split("/"))
        if part.startswith("{")
    )


class ShapeIndex:
    """The routes of one router by path shape; `first(path)` gives the earliest route that may match.

    `params[i]`: for a plain `Route` (its own `matches`, only `{name}` / `{name:str}` parameters), the
    positions of its parameters: a path whose shape fits it matches its regex with exactly those
    segments as values, so the router need not run the regex again.
    """

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.size = len(routes)
        self.tree = SegmentTree()
        self.anywhere = _UNSET  # the earliest route the tree cannot describe: it may match any path
        self.params: dict[int, tuple[tuple[int, str], ...]] = {}
        # index -> the app of an API mount: a path whose shape fits a prefix is at or below it, all
        # an API mount's `matches` asks (its match hands the request to that app).
        self.mounted: dict[int, Any] = {}
        for index, route in enumerate(routes):
            if isinstance(route, Route):
                if self._add(route.path, index, prefix=False) and type(route).matches is Route.matches:
                    self.params[index] = _params(route.path)
            elif isinstance(route, Mount):
                self._add(route.path, index, prefix=True)
            elif hasattr(route, "prefixes"):  # an API mount (http/routing.py): paths at or below them
                added = [self._add(prefix, index, prefix=True) for prefix in route.prefixes]
                if all(added) and hasattr(route, "api"):
                    self.mounted[index] = route.api
            else:
                self.anywhere = min(self.anywhere, index)

    def _add(self, template: str, index: int, *, prefix: bool) -> bool:
        shape = _segments(template)
        if shape is None:
            self.anywhere = min(self.anywhere, index)
            return False
        self.tree.add(shape, index, prefix=prefix)
        return True

    def first(self, path: str) -> int:
        """The index of the earliest route whose shape fits path (`size` when none does)."""
        return self.first_of(path.split("/"))

    def first_of(self, parts: list[str]) -> int:
        """`first` of a path given as its segments (`path.split("/")`)."""
        best = self.tree.first(parts, self.anywhere)
        return best if best < _UNSET else self.size


def _walk(node: _Node, parts: list[str], at: int, best: int, stripped: bool) -> int:
    """The least key under node of a template fitting parts[at:], if below best (else best).

    A loop down the one branch a segment allows; a call of its own only where a literal and a
    `{param}` child both fit, and no walk into a subtree that holds no lesser key."""
    size = len(parts)
    while node.least < best:
        if node.below < best:
            best = node.below
        if at == size:
            return node.end if node.end < best and not (stripped and node.exact) else best
        part = parts[at]
        child = node.literal.get(part)
        param = node.param if part else None
        if param is None:
            if child is None:
                return best
            node = child
        else:
            if child is not None:
                best = _walk(child, parts, at + 1, best, stripped)
            node = param
        at += 1
    return best


class ShapeRouter(Router):
    """A Starlette router that finds a request's route by path shape (same choice, same errors)."""

    _index: ShapeIndex | None = None

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the earliest fully matching route, found by shape; anything else as Starlette does."""
        if scope["type"] == "http":
            index = self._index
            if index is None or index.size != len(self.routes):
                index = self._index = ShapeIndex(self.routes)
            path = get_route_path(scope)
            parts = path.split("/")
            at = index.first_of(parts)
            if at < index.size and not path.endswith("\n"):  # a regex `$` also matches before a final newline
                route = self.routes[at]
                params = index.params.get(at)
                api = index.mounted.get(at)
                child: Scope
                if api is not None and path == scope["path"]:  # what an API mount's `matches` answers
                    match, child = Match.FULL, {"endpoint": api}
                elif params is None:
                    match, child = route.matches(scope)
                else:  # what Route.matches answers for a path of this shape, without its regex
                    assert isinstance(route, Route)
                    path_params = dict(scope.get("path_params", {}))
                    for position, name in params:
                        path_params[name] = parts[position]
                    child = {"endpoint": route.endpoint, "path_params": path_params}
                    methods = route.methods
                    match = Match.PARTIAL if methods and scope["method"] not in methods else Match.FULL
                if match is Match.FULL:
                    if "router" not in scope:
                        scope["router"] = self
                    scope["route"] = route
                    scope.update(child)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)

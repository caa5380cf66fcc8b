"""Media types of the xcore API: parsing Content-Type and Accept (quoted parameters), negotiation."""

from __future__ import annotations

from dataclasses import dataclass

from offer_catalog.offer_library.errors import NotAcceptable, UnsupportedMediaType

XCORE = "application/vnd.adobe.platform.xcore."
HAL = XCORE + "hal+json"
HOME_HAL = XCORE + "home.hal+json"
PATCH_HAL = XCORE + "patch.hal+json"
RECEIPT = XCORE + "xdm.receipt+json"
# Some Offer Library pages' header tables spell the receipt type `xdm.receiver+json` (with a
# schema parameter) for Content-Type and Accept alike: read and answered as its alias.
RECEIVER = XCORE + "xdm.receiver+json"
SCHEMA_INSTANCE = "application/schema-instance+json"
JSON_PATCH = "application/json-patch+json"
JSON = "application/json"

RESULTS_SCHEMA = "https://ns.adobe.com/experience/xcore/hal/results"
CONTAINER_SCHEMA = "https://ns.adobe.com/experience/xcore/container"


@dataclass(frozen=True, slots=True)
class MediaType:
    """A parsed media type: `type/subtype` lowercased, its parameters (names lowercased), its q."""

    essence: str
    params: dict[str, str]
    q: float = 1.0

    def matches(self, essence: str) -> bool:
        """True when this (possibly wildcard) range covers essence."""
        if self.essence in ("*", "*/*"):
            return True
        if self.essence.endswith("/*"):
            return essence.startswith(self.essence[:-1])
        return self.essence == essence


def split_unquoted(text: str, separator: str) -> list[str]:
    """Split text on separator, except inside double-quoted strings (with backslash escapes)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        out: list[str] = []
        escaped = False
        for char in inner:
            if char == "\\" and not escaped:
                escaped = True
                continue
            escaped = False
            out.append(char)
        return "".join(out)
    return value


def parse_media_type(text: str) -> MediaType | None:
    """Parse one media type with parameters; None when it is not `type/subtype` (or `*`)."""
    pieces = split_unquoted(text, ";")
    essence = pieces[0].strip().lower()
    if essence != "*" and (essence.count("/") != 1 or " " in essence or essence.startswith("/")):
        return None
    params: dict[str, str] = {}
    previous = ""
    for piece in pieces[1:]:
        name, sep, value = piece.partition("=")
        name = name.strip().lower()
        if not sep or not name:
            continue
        if name == "version" and previous == "schema" and not params["schema"].startswith('"'):
            # an unquoted schema id's own ";version=x" belongs to the schema, not to the media type
            params["schema"] += f";version={value.strip()}"
            continue
        params[name] = value.strip() if name == "schema" else _unquote(value)
        previous = name
    if "schema" in params:
        params["schema"] = _unquote(params["schema"])
    q = 1.0
    if "q" in params:
        try:
            q = float(params.pop("q"))
        except ValueError:
            q = 0.0
    return MediaType(essence, params, q)


def content_type(header: str | None, accepted: tuple[str, ...]) -> MediaType:
    """The request's Content-Type when it is one of accepted; 415 otherwise."""
    if not header:
        raise UnsupportedMediaType(
            f"a Content-Type is required; use one of {', '.join(accepted)}", accepted=list(accepted)
        )
    media = parse_media_type(header)
    if media is None or media.essence not in accepted:
        raise UnsupportedMediaType(
            f"Content-Type {header!r} is not supported here; use one of {', '.join(accepted)}",
            accepted=list(accepted),
        )
    return media


def negotiate(header: str | None, produces: tuple[str, ...]) -> str:
    """The media type to answer with (the first of produces an Accept range allows); 406 if none."""
    if not header or not header.strip():
        return produces[0]
    ranges = [m for m in (parse_media_type(p) for p in split_unquoted(header, ",") if p.strip()) if m]
    best: tuple[float, int] | None = None
    chosen = None
    for index, essence in enumerate(produces):
        for media in ranges:
            if media.q > 0 and media.matches(essence):
                rank = (media.q, -index)
                if best is None or rank > best:
                    best, chosen = rank, essence
    if chosen is None:
        raise NotAcceptable(
            f"none of the media types in Accept can be produced; this answers {', '.join(produces)}",
            produces=list(produces),
        )
    return chosen


def with_params(essence: str, schema: str | None = None) -> str:
    """A response Content-Type: the essence, `version=1` for xcore types, and the schema parameter."""
    if essence == JSON:
        return essence
    text = f"{essence}; version=1"
    return f'{text}; schema="{schema}"' if schema else text

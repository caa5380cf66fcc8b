"""Callback URLs: syntax rules, and the addresses a callback may reach (server-side request forgery)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from offer_catalog.errors import ValidationFailed

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(ValidationFailed):
    """A callback resolves to an address the hub may not call (loopback, private, link-local...)."""

    code = "callback_not_allowed"


@dataclass(frozen=True, slots=True)
class Target:
    """A checked callback: the URL parts and the host name to resolve."""

    url: SplitResult
    host: str
    port: int


def parse_callback(callback: object) -> Target:
    """Check a callback URL's form: http(s), a host, no credentials, no fragment."""
    if not isinstance(callback, str) or not callback.strip():
        raise ValidationFailed("callback must be a non-empty URL", code="invalid_callback")
    if len(callback) > 2048 or not callback.isprintable() or " " in callback:
        raise ValidationFailed("callback is not a valid URL", code="invalid_callback")
    try:
        url = urlsplit(callback)
        port = url.port
    except ValueError:
        raise ValidationFailed("callback is not a valid URL", code="invalid_callback") from None
    if url.scheme not in ("http", "https"):
        raise ValidationFailed("callback must be an http or https URL", code="invalid_callback:scheme")
    if url.username is not None or url.password is not None or "@" in url.netloc:
        raise ValidationFailed("callback may not carry credentials", code="invalid_callback:credentials")
    if not url.hostname:
        raise ValidationFailed("callback has no host", code="invalid_callback")
    if url.fragment:
        raise ValidationFailed("callback may not have a fragment", code="invalid_callback")
    default = 443 if url.scheme == "https" else 80
    return Target(url=url, host=url.hostname, port=port or default)


def is_public(address: Address) -> bool:
    """True for a globally routable unicast address (the only kind a callback may reach by default)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def resolve(host: str, port: int) -> list[Address]:
    """Every address a host name resolves to (an IP literal is itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def check_addresses(target: Target, addresses: list[Address], allow_private: bool) -> Address:
    """The address to connect to; TargetRefused when any is not public (unless allowed) or none exist."""
    if not addresses:
        raise TargetRefused(f"callback host {target.host!r} does not resolve", code="callback_unresolvable")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise TargetRefused(
                    f"callback host {target.host!r} resolves to a non-public address ({address})",
                    details={"address": str(address)},
                )
    return addresses[0]


def check_callback(callback: object, *, allow_private: bool) -> str:
    """Validate a callback at subscription time (form, then resolved addresses); return it.

    A host that does not resolve (yet) is taken: the specification takes any callback, and every
    delivery resolves and checks it again (one that still does not resolve is a failed attempt).
    """
    target = parse_callback(callback)
    addresses = resolve(target.host, target.port)
    if addresses:
        check_addresses(target, addresses, allow_private)
    return target.url.geturl()


def pinned_url(target: Target, address: Address) -> str:
    """The callback URL with its host replaced by the checked address (no second DNS lookup)."""
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    netloc = f"{host}:{target.port}"
    return target.url._replace(netloc=netloc).geturl()

"""Secure by default: without authentication the service listens on loopback only (unless `insecure`)."""

from __future__ import annotations

import ipaddress
import logging

from offer_catalog.auth.keys import any_key
from offer_catalog.errors import SettingsError
from offer_catalog.settings import Settings
from offer_catalog.store.base import Store

log = logging.getLogger("offer_catalog.auth")


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def auth_configured(settings: Settings, store: Store) -> bool:
    """True when a JWT key source or issuer is set, or any API key was ever created."""
    if settings.jwt_configured:
        return True
    with store.unit_of_work() as uow:
        return any_key(uow)


def check_exposure(settings: Settings, store: Store) -> None:
    """Refuse a non-loopback address without authentication unless `insecure`; warn loudly when off."""
    if auth_configured(settings, store):
        return
    if not is_loopback_host(settings.host) and not settings.insecure:
        raise SettingsError(
            f"refusing to listen on {settings.host} without authentication: create an API key "
            "(offer-catalog keys create) or configure JWT (docs/security.md), or pass --insecure",
            code="unprotected_address",
            details={"setting": "host"},
        )
    log.warning(
        "AUTHENTICATION IS OFF: every caller has every scope; %s",
        "answering any address (--insecure)" if settings.insecure else "answering loopback callers only",
    )

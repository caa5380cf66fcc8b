"""One typed Settings object: defaults, then OFFER_CATALOG_* environment, then explicit overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from offer_catalog.errors import SettingsError

ENV_PREFIX = "OFFER_CATALOG_"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
TMF_NAME_STYLES = ("standard", "oracle")
HUB_NUMBERS = (
    "hub_max_attempts",
    "hub_backoff_ms",
    "hub_backoff_max_ms",
    "hub_timeout_ms",
    "hub_lease_ms",
    "hub_poll_ms",
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service can be configured with; build it with `load_settings`."""

    database_url: str = "sqlite:///./data/offer-catalog.db"
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "info"
    workers: int = 1
    pool_size: int = 10
    tmf_names: str = "standard"
    tmf_partial_content: bool = False  # answer 206 (TMF630) instead of 200 for a partial list page
    # Lifecycle states a deployment adds to the user guide's eight (comma-separated, docs/tmf620.md).
    tmf_extra_states: str = ""
    # The largest TMF620 list page: a larger `limit` gets a page of this size (TMF630 paging headers).
    tmf_max_page_size: int = 1000
    # Strict references: TMF620 references must name live resources; referenced ones cannot be deleted.
    tmf_strict_references: bool = False
    # GET one resource: answers kept per process by stored version (http/representations.py); 0: none.
    get_cache_entries: int = 10_000
    get_cache_bytes: int = 32 * 1024 * 1024
    access_log: bool = True
    # Slow and hostile clients (protocol.py): seconds for a head and a body, head size, open connections.
    header_timeout: int = 10
    body_timeout: int = 60
    max_header_bytes: int = 65536
    max_connections: int = 0
    # Request limits (the request kit, offer_catalog/http/body.py): body bytes and JSON nesting depth.
    max_body_bytes: int = 1024 * 1024
    max_document_bytes: int = 2 * 1024 * 1024  # a stored body after any patch (JSON bytes)
    max_json_depth: int = 64
    # Request limit (the request kit, offer_catalog/http/routing.py): query-string bytes, every API.
    max_query_bytes: int = 16 * 1024
    # Event hub (events/): attempts before a dead letter, retry backoff, HTTP timeout, relay lease and
    # poll interval (milliseconds), and whether callbacks may target loopback/private addresses.
    hub_max_attempts: int = 12
    hub_backoff_ms: int = 1000
    hub_backoff_max_ms: int = 300_000
    hub_timeout_ms: int = 10_000
    hub_lease_ms: int = 5000
    hub_poll_ms: int = 250
    hub_allow_private_targets: bool = False
    # Optional broker sink: nats://host:port (JetStream); events are published under this subject prefix.
    hub_broker_url: str = ""
    hub_broker_subject: str = "offer-catalog.events"
    # TMF620 import/export jobs (events/jobs.py): the directory export files are written to and import
    # files are read from; empty: jobs are refused (503).
    export_dir: str = ""
    cors_origins: str = ""  # comma-separated origins browsers may call from; empty: CORS off
    # Query safety: each list query's time budget, and its most filter terms / sort keys.
    query_budget_ms: int = 5000
    max_query_terms: int = 100
    # Authentication (docs/security.md): on when any API key exists or a JWT key source is set.
    insecure: bool = False
    jwt_issuer: str = ""
    jwt_audience: str = ""
    jwks_url: str = ""
    jwt_public_key: str = ""
    jwt_hs256_secret: str = ""
    jwt_scope_claim: str = "scope"
    jwt_org_claim: str = "org"
    jwt_sandbox_claim: str = ""
    jwt_leeway: int = 30
    # Decision log (decisioning/decision_log.py): on/off, profile-hash secret (empty: generated and
    # stored in the database), days kept (0: forever).
    decision_log: bool = True
    decision_log_secret: str = ""
    decision_log_retention_days: int = 90
    # Batch decisioning jobs (decisioning/batch_jobs.py): where jobs keep their files, the directory
    # profile files may be named in (empty: uploads only), the largest upload accepted.
    batch_dir: str = "./data/batch-jobs"
    batch_profiles_dir: str = ""
    batch_max_upload_bytes: int = 1 << 30

    def validate(self) -> Settings:
        """Raise SettingsError naming the first invalid value; return self when all are valid."""
        if not (
            self.database_url.startswith("sqlite:///")
            or self.database_url.startswith(("postgresql://", "postgres://"))
        ):
            raise SettingsError(
                f"database_url must start with sqlite:/// or postgresql://, got {self.database_url!r}",
                details={"setting": "database_url"},
            )
        if not 0 < self.port < 65536:
            raise SettingsError(f"port must be 1-65535, got {self.port}", details={"setting": "port"})
        if self.log_level not in LOG_LEVELS:
            raise SettingsError(
                f"log_level must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}",
                details={"setting": "log_level"},
            )
        if self.workers < 1:
            raise SettingsError(f"workers must be >= 1, got {self.workers}", details={"setting": "workers"})
        if self.workers > 1 and self.is_sqlite:
            raise SettingsError(
                "more than one worker needs PostgreSQL: SQLite serves one process; "
                "set database_url to a postgresql:// URL",
                details={"setting": "workers"},
            )
        if self.pool_size < 1:
            raise SettingsError(
                f"pool_size must be >= 1, got {self.pool_size}", details={"setting": "pool_size"}
            )
        for name in (
            "header_timeout",
            "body_timeout",
            "max_header_bytes",
            "max_body_bytes",
            "max_document_bytes",
            "max_json_depth",
            "max_query_bytes",
            "query_budget_ms",
            "max_query_terms",
            "tmf_max_page_size",
            "batch_max_upload_bytes",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(
                    f"{name} must be >= 1, got {getattr(self, name)}", details={"setting": name}
                )
        for name in ("get_cache_entries", "get_cache_bytes"):
            if getattr(self, name) < 0:
                raise SettingsError(
                    f"{name} must be >= 0 (0: no cache), got {getattr(self, name)}", details={"setting": name}
                )
        if self.max_connections < 0:
            raise SettingsError(
                f"max_connections must be >= 0 (0: from the open-file limit), got {self.max_connections}",
                details={"setting": "max_connections"},
            )
        if self.decision_log_retention_days < 0:
            raise SettingsError(
                "decision_log_retention_days must be >= 0 (0: keep forever), "
                f"got {self.decision_log_retention_days}",
                details={"setting": "decision_log_retention_days"},
            )
        if self.tmf_names not in TMF_NAME_STYLES:
            raise SettingsError(
                f"tmf_names must be one of {', '.join(TMF_NAME_STYLES)}, got {self.tmf_names!r}",
                details={"setting": "tmf_names"},
            )
        for state in self.tmf_extra_state_names:
            if len(state) > 64 or not state.isprintable():
                raise SettingsError(
                    f"tmf_extra_states: {state[:70]!r} must be 1-64 printable characters",
                    details={"setting": "tmf_extra_states"},
                )
        if self.hub_broker_url and not self.hub_broker_url.startswith(("nats://", "tls://")):
            raise SettingsError("hub_broker_url must be a nats:// URL", details={"setting": "hub_broker_url"})
        for name in HUB_NUMBERS:
            if getattr(self, name) < 1:
                raise SettingsError(
                    f"{name} must be >= 1, got {getattr(self, name)}", details={"setting": name}
                )
        if self.jwt_leeway < 0:
            raise SettingsError("jwt_leeway must be >= 0 seconds", details={"setting": "jwt_leeway"})
        return self

    @property
    def tmf_extra_state_names(self) -> tuple[str, ...]:
        """The extra TMF620 lifecycle states, as spelled, blanks around each dropped."""
        return tuple(s.strip() for s in self.tmf_extra_states.split(",") if s.strip())

    @property
    def jwt_configured(self) -> bool:
        """True when JWT bearer tokens are configured (an issuer, JWKS URL, public key or HS256 secret)."""
        return bool(self.jwt_issuer or self.jwks_url or self.jwt_public_key or self.jwt_hs256_secret)

    @property
    def is_sqlite(self) -> bool:
        """True when the store is the embedded SQLite file."""
        return self.database_url.startswith("sqlite:///")


def _coerce(name: str, raw: Any, target: Any) -> Any:
    if target is bool or isinstance(target, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{name} must be a boolean, got {raw!r}", details={"setting": name})
    if target is int or isinstance(target, int):
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise SettingsError(
                f"{name} must be an integer, got {raw!r}", details={"setting": name}
            ) from None
    value = str(raw)
    return value.lower() if name in ("log_level", "tmf_names") else value


def load_settings(
    overrides: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, then OFFER_CATALOG_* variables, then non-None overrides (CLI flags); validated."""
    env = os.environ if environ is None else environ
    base = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        default = getattr(base, f.name)
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw is not None and raw != "":
            values[f.name] = _coerce(f.name, raw, type(default))
        if overrides and overrides.get(f.name) is not None:
            values[f.name] = _coerce(f.name, overrides[f.name], type(default))
    unknown = set(overrides or ()) - {f.name for f in fields(Settings)}
    if unknown:
        raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
    return replace(base, **values).validate()


def settings_to_env(settings: Settings) -> dict[str, str]:
    """The OFFER_CATALOG_* variables that reproduce these settings in a worker process."""
    return {ENV_PREFIX + f.name.upper(): str(getattr(settings, f.name)) for f in fields(Settings)}

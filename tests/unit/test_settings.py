"""Settings: defaults, environment, overrides, and clear failures."""

from __future__ import annotations

import pytest

from offer_catalog.errors import SettingsError
from offer_catalog.settings import Settings, load_settings, settings_to_env


def test_defaults() -> None:
    s = load_settings(environ={})
    assert s == Settings()
    assert (s.host, s.port, s.database_url, s.log_level) == (
        "127.0.0.1",
        8080,
        "sqlite:///./data/offer-catalog.db",
        "info",
    )
    assert s.is_sqlite


def test_environment_then_overrides() -> None:
    env = {
        "OFFER_CATALOG_PORT": "9000",
        "OFFER_CATALOG_LOG_LEVEL": "DEBUG",
        "OFFER_CATALOG_ACCESS_LOG": "off",
    }
    s = load_settings({"port": 9100, "host": None}, environ=env)
    assert (s.port, s.log_level, s.access_log, s.host) == (9100, "debug", False, "127.0.0.1")


def test_round_trip_through_environment() -> None:
    s = load_settings({"tmf_names": "oracle", "port": 8181}, environ={})
    assert load_settings(environ=settings_to_env(s)) == s


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"port": "abc"}, "port"),
        ({"port": 0}, "port"),
        ({"log_level": "loud"}, "log_level"),
        ({"database_url": "mysql://x"}, "database_url"),
        ({"workers": 0}, "workers"),
        ({"workers": 2}, "workers"),
        ({"pool_size": 0}, "pool_size"),
        ({"tmf_names": "klingon"}, "tmf_names"),
        ({"access_log": "maybe"}, "access_log"),
    ],
)
def test_invalid_values_name_the_setting(overrides: dict[str, object], setting: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(overrides, environ={})
    assert info.value.details.get("setting") == setting
    assert info.value.code == "invalid_settings"


def test_unknown_override_and_postgres_workers() -> None:
    with pytest.raises(SettingsError):
        load_settings({"colour": "red"}, environ={})
    s = load_settings({"database_url": "postgresql://u@h/db", "workers": 4}, environ={})
    assert s.workers == 4 and not s.is_sqlite


def test_get_cache_sizes() -> None:
    env = {"OFFER_CATALOG_GET_CACHE_ENTRIES": "0", "OFFER_CATALOG_GET_CACHE_BYTES": "1024"}
    s = load_settings(environ=env)
    assert (s.get_cache_entries, s.get_cache_bytes) == (0, 1024)
    for setting in ("get_cache_entries", "get_cache_bytes"):
        with pytest.raises(SettingsError) as info:
            load_settings({setting: -1}, environ={})
        assert info.value.details.get("setting") == setting

"""Fixtures for the Offer Library API tests: a container, a bound client, a full set of instances."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from offer_catalog.store import Store
from support.offer_library import (
    Xcore,
    activity_body,
    fallback_body,
    filter_body,
    make_container,
    offer_body,
    placement_body,
    ranking_body,
    rule_body,
    tag_body,
)


@pytest.fixture
def container(store: Store) -> str:
    """A container of the default tenant."""
    return make_container(store)


@pytest.fixture
def xc(client: TestClient, container: str) -> Xcore:
    """The API client bound to the container, as the default caller."""
    return Xcore(client, container)


@pytest.fixture
def world(xc: Xcore) -> dict[str, dict[str, Any]]:
    """One instance of every kind, wired together as the documented examples are; receipts by name."""
    w: dict[str, dict[str, Any]] = {}
    w["placement"] = xc.make("offer-placement", placement_body())
    w["tag"] = xc.make("tag", tag_body())
    w["rule"] = xc.make("eligibility-rule", rule_body())
    w["ranking"] = xc.make("ranking-function", ranking_body())
    p, t, r = w["placement"]["@id"], w["tag"]["@id"], w["rule"]["@id"]
    w["offer"] = xc.make("personalized-offer", offer_body(p, t, r))
    w["fallback"] = xc.make("fallback-offer", fallback_body(p))
    w["filter"] = xc.make("offer-filter", filter_body([t]))
    w["activity"] = xc.make(
        "offer-activity", activity_body(p, w["filter"]["@id"], r, w["ranking"]["@id"], w["fallback"]["@id"])
    )
    return w

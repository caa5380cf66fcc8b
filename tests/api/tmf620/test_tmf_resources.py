"""Create, retrieve, delete on the five resources; defaults, href/Location, ids, validation, polymorphism."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from support.tmf620 import ORA, RESOURCES, STD, Make, assert_error


@pytest.mark.parametrize("resource", RESOURCES)
def test_crud_on_every_resource(client: TestClient, resource: str) -> None:
    created = client.post(f"{STD}{resource}", json={"name": "n1", "description": "d"})
    assert created.status_code == 201
    body = created.json()
    assert created.headers["location"] == body["href"] == f"{STD}{resource}/{body['id']}"
    assert created.headers["etag"] == '"1"'
    assert body["@type"] == RESOURCES[resource] and "@baseType" not in body
    assert (body["lifecycleStatus"], body["version"], body["name"]) == ("In Study", "1.0", "n1")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", body["lastUpdate"])
    got = client.get(body["href"])
    assert got.status_code == 200 and got.json() == body and got.headers["etag"] == '"1"'
    assert client.get(f"{STD}{resource}").json() == [body]
    assert client.delete(body["href"]).status_code == 204
    assert_error(client.get(body["href"]), 404, "not_found")
    assert_error(client.delete(body["href"]), 404, "not_found")
    assert client.get(f"{STD}{resource}").json() == []


def test_href_follows_the_base_path_of_the_request(client: TestClient, make: Make) -> None:
    created = make(id="po-1")
    assert created["href"] == f"{STD}productOffering/po-1"
    oracle = client.get(f"{ORA}productOffering/po-1")
    assert oracle.json()["href"] == f"{ORA}productOffering/po-1"
    assert {k: v for k, v in oracle.json().items() if k != "href"} == {
        k: v for k, v in created.items() if k != "href"
    }
    via_oracle = client.post(f"{ORA}productOffering", json={"name": "x"})
    assert via_oracle.headers["location"] == via_oracle.json()["href"]
    assert via_oracle.json()["href"].startswith(ORA)


def test_client_id_is_kept_and_a_taken_id_is_409(client: TestClient, make: Make) -> None:
    assert make(id="my-offer")["id"] == "my-offer"
    assert_error(
        client.post(f"{STD}productOffering", json={"id": "my-offer", "name": "x"}), 409, "already_exists"
    )
    other = client.post(f"{STD}productSpecification", json={"id": "my-offer", "name": "x"})
    assert other.status_code == 201  # ids are per resource


@pytest.mark.parametrize("bad_id", [7, "", "a/b", "x" * 201])
def test_bad_ids_are_400(client: TestClient, bad_id: object) -> None:
    assert_error(
        client.post(f"{STD}productOffering", json={"id": bad_id, "name": "x"}), 400, "invalid_", prefix=True
    )


def test_server_members_in_a_create_are_replaced(client: TestClient) -> None:
    body = {"name": "x", "href": "http://elsewhere/1", "lastUpdate": "2001-01-01T00:00:00Z"}
    created = client.post(f"{STD}productOffering", json=body).json()
    assert created["href"].startswith(STD) and created["lastUpdate"] != body["lastUpdate"]


def test_given_lifecycle_version_and_subtype_are_kept(make: Make) -> None:
    created = make(lifecycleStatus="launched", version="2.1", **{"@type": "MobileOffering"})
    assert created["lifecycleStatus"] == "Launched"  # canonical spelling
    assert created["version"] == "2.1"
    assert (created["@type"], created["@baseType"]) == ("MobileOffering", "ProductOffering")


def test_oracle_names_are_accepted_on_input_at_any_depth(client: TestClient) -> None:
    body = {
        "name": "x",
        "atType": "ProductOfferingOracle",
        "atBaseType": "ProductOffering",
        "serviceCandidate": {"id": "s", "atReferredType": "ServiceCandidate"},
        "productOfferingPrice": [{"id": "p", "atType": "ProductOfferingPriceRefOracle"}],
    }
    created = client.post(f"{STD}productOffering", json=body).json()
    assert created["@type"] == "ProductOfferingOracle" and created["@baseType"] == "ProductOffering"
    assert created["serviceCandidate"] == {"id": "s", "@referredType": "ServiceCandidate"}
    assert created["productOfferingPrice"] == [{"id": "p", "@type": "ProductOfferingPriceRefOracle"}]


def test_both_spellings_with_different_values_are_400(client: TestClient) -> None:
    body = {"name": "x", "@type": "A", "atType": "B"}
    assert_error(client.post(f"{STD}productOffering", json=body), 400, "duplicate_member:@type")


def test_references_need_not_exist(make: Make) -> None:
    created = make(productSpecification={"id": "9881", "@referredType": "DeviceSpecification"})
    assert created["productSpecification"]["id"] == "9881"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "required:name"),
        ({"name": None}, "required:name"),
        ({"name": 5}, "invalid_type:name"),
        ({"name": "x", "isBundle": "false"}, "invalid_type:isBundle"),
        ({"name": "x", "productOfferingPrice": {"id": "1"}}, "invalid_type:productOfferingPrice"),
        ({"name": "x", "productOfferingPrice": ["1"]}, "invalid_type:productOfferingPrice[0]"),
        ({"name": "x", "productSpecification": "9881"}, "invalid_type:productSpecification"),
        ({"name": "x", "validFor": {"startDateTime": "yesterday"}}, "invalid_value:validFor.startDateTime"),
        ({"name": "x", "validFor": {"endDateTime": 3}}, "invalid_type:validFor.endDateTime"),
        (
            {
                "name": "x",
                "validFor": {"startDateTime": "2024-02-01T00:00:00Z", "endDateTime": "2024-01-01T00:00:00Z"},
            },
            "invalid_period:validFor",
        ),
        ({"name": "x", "lifecycleStatus": "Draft"}, "invalid_value:lifecycleStatus"),
        ({"name": "x", "@type": "Catalog"}, "invalid_value:@type"),
        ({"name": "x", "@type": 5}, "invalid_type:@type"),
        ({"name": "x", "@type": None}, "invalid_type:@type"),
        ({"name": "x", "lifecycleStatus": None}, "invalid_type:lifecycleStatus"),
        ({"name": "x", "category": [{"id": "1", "href": False}]}, "invalid_type:category[0].href"),
        ({"name": "x", "productSpecification": {"id": 7}}, "invalid_type:productSpecification.id"),
        ({"name": "x", "@schemaLocation": "not a uri"}, "invalid_value:@schemaLocation"),
        (
            {
                "name": "x",
                "bundledProductOffering": [
                    {"bundledProductOfferingOption": {"numberRelOfferUpperLimit": "9"}}
                ],
            },
            "invalid_type:bundledProductOffering[0].bundledProductOfferingOption.numberRelOfferUpperLimit",
        ),
        (
            {"name": "x", "serviceCandidate": {"id": "1", "@schemaLocation": "x y"}},
            "invalid_value:serviceCandidate.@schemaLocation",
        ),
    ],
)
def test_invalid_offerings_are_400_naming_the_member(
    client: TestClient, body: dict[str, object], code: str
) -> None:
    assert_error(client.post(f"{STD}productOffering", json=body), 400, code)
    assert client.get(f"{STD}productOffering").json() == []


def test_price_member_types(client: TestClient) -> None:
    ok = client.post(f"{STD}productOfferingPrice", json={"name": "p", "price": {"unit": "EUR", "value": 9.5}})
    assert ok.status_code == 201
    bad = client.post(
        f"{STD}productOfferingPrice", json={"name": "p", "price": {"unit": "EUR", "value": "9"}}
    )
    assert_error(bad, 400, "invalid_type:price.value")
    bad = client.post(f"{STD}productOfferingPrice", json={"name": "p", "recurringChargePeriodLength": 1.5})
    assert_error(bad, 400, "invalid_type:recurringChargePeriodLength")


def test_validfor_with_offsets_compares_instants(make: Make) -> None:
    period = {"startDateTime": "2024-01-01T10:00:00+02:00", "endDateTime": "2024-01-01T09:00:00Z"}
    assert make(validFor=period)["validFor"] == period


def test_unknown_members_are_kept_for_extensions(make: Make) -> None:
    assert make(channelPriority=3, extra={"a": [1]})["extra"] == {"a": [1]}


def test_a_member_typed_any_value_takes_null(client: TestClient, make: Make) -> None:
    # A characteristic value's `value` is v4.0.0's `Any` ({}: every JSON value, null included), so a
    # null there is taken, read as absent like a null in a member the specification does not type; a
    # declared member of any other type still refuses null (above).
    uses = [{"name": "colour", "productSpecCharacteristicValue": [{"value": None, "isDefault": True}]}]
    kept = [{"name": "colour", "productSpecCharacteristicValue": [{"isDefault": True}]}]
    assert make(prodSpecCharValueUse=uses)["prodSpecCharValueUse"] == kept
    event = {
        "eventId": "e-any",
        "eventTime": "2026-01-01T00:00:00Z",
        "eventType": "ProductOfferingCreateEvent",
        "event": {"productOffering": {"id": "any-1", "name": "x", "prodSpecCharValueUse": uses}},
    }
    heard = client.post(f"{STD}listener/productOfferingCreateEvent", json=event)
    assert heard.status_code == 201, heard.text  # v4 listeners answer 201
    fetched = client.get(f"{STD}productOffering/any-1").json()
    assert fetched["prodSpecCharValueUse"] == kept
    bad = [{"name": "colour", "productSpecCharacteristicValue": [{"isDefault": None}]}]
    assert_error(
        client.post(f"{STD}productOffering", json={"name": "x", "prodSpecCharValueUse": bad}),
        400,
        "invalid_type:prodSpecCharValueUse[0].productSpecCharacteristicValue[0].isDefault",
    )

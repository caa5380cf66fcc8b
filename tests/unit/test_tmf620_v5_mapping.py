"""The v4/v5 mapping of one stored TMF620 resource: round trips per release, and what a write keeps."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offer_catalog.patch import apply_json_patch, apply_merge_patch
from offer_catalog.tmf620.v5_mapping import KINDS, kind_of, stored_path, to_stored, to_view
from support.tmf620 import V5_PARTY_EXAMPLE

SETTINGS = settings(max_examples=150, deadline=None)

TEXT = st.text(alphabet="abcXYZ 09-é", min_size=1, max_size=6)
SCALAR = (
    st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False) | TEXT
)
JSON = st.recursive(
    SCALAR,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(["k", "v", "x1"]), c, max_size=3),
    max_leaves=8,
)
PERIOD = st.fixed_dictionaries({}, optional={"startDateTime": st.just("2024-01-15T10:00:00-04:00")})
# Extension members a client may add (v4 keeps unknown members; so does v5).
EXTENSIONS = st.dictionaries(st.sampled_from(["extA", "extB", "x_note"]), JSON, max_size=2)


def _ref(cls: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"id": TEXT, "@type": st.just(cls)}, optional={"name": TEXT, "href": TEXT})


# --- v4 bodies: what the v4 release validates and stores -----------------------------------------------

V4_PARTY = st.fixed_dictionaries(
    {"id": TEXT, "@referredType": st.sampled_from(["Individual", "Organization"])},
    optional={"name": TEXT, "role": TEXT, "href": TEXT, "@type": st.just("RelatedParty")},
)
V4_VALUE = st.fixed_dictionaries(
    {},
    optional={
        "value": SCALAR,
        "valueType": TEXT,
        "valueFrom": st.integers(0, 99).map(str) | TEXT,
        "valueTo": st.integers(0, 99).map(str) | TEXT,
        "isDefault": st.booleans(),
        "@type": st.just("ProductSpecificationCharacteristicValue"),
    },
)
V4_CHAR = st.fixed_dictionaries(
    {"name": TEXT},
    optional={
        "valueType": TEXT,
        "productSpecCharacteristicValue": st.lists(V4_VALUE, max_size=2),
        "productSpecCharRelationship": st.lists(
            st.fixed_dictionaries({"id": TEXT, "name": TEXT}), max_size=1
        ),
    },
)
V4_USE = st.fixed_dictionaries(
    {"name": TEXT}, optional={"productSpecCharacteristicValue": st.lists(V4_VALUE, max_size=2)}
)
V4_TERM = st.fixed_dictionaries(
    {"name": TEXT},
    optional={
        "duration": st.fixed_dictionaries({"amount": st.floats(0, 99, allow_nan=False), "units": TEXT})
    },
)
V4_MEMBERS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "catalog": {"relatedParty": st.lists(V4_PARTY, max_size=2), "catalogType": TEXT},
    "category": {
        "parentId": TEXT,
        "isRoot": st.booleans(),
        "subCategory": st.lists(_ref("CategoryRef"), max_size=2),
    },
    "productOffering": {
        "productOfferingPrice": st.lists(
            st.fixed_dictionaries(
                {"id": TEXT}, optional={"name": TEXT, "@type": st.just("ProductOfferingPriceRef")}
            ),
            max_size=2,
        ),
        "prodSpecCharValueUse": st.lists(V4_USE, max_size=2),
        "productOfferingTerm": st.lists(V4_TERM, max_size=2),
        "isBundle": st.booleans(),
        # members v5 added are unknown, kept members to v4
        "policy": st.lists(_ref("PolicyRef"), max_size=1),
    },
    "productOfferingPrice": {
        "constraint": st.lists(_ref("ConstraintRef"), max_size=1),
        "priceType": TEXT,
        "prodSpecCharValueUse": st.lists(V4_USE, max_size=1),
    },
    "productSpecification": {
        "relatedParty": st.lists(V4_PARTY, max_size=2),
        "productSpecCharacteristic": st.lists(V4_CHAR, max_size=2),
        "brand": TEXT,
    },
}


def _body(
    kind: str, cls: str, members: dict[str, dict[str, st.SearchStrategy[Any]]]
) -> st.SearchStrategy[Any]:
    core = st.fixed_dictionaries(
        {"name": TEXT, "@type": st.just(cls), "lifecycleStatus": st.just("In Study")},
        optional={"description": TEXT, "validFor": PERIOD, "version": TEXT, **members[kind]},
    )
    return st.tuples(core, EXTENSIONS).map(lambda pair: {**pair[1], **pair[0]})


V4_CLASS = {"catalog": "Catalog", **{k: k[0].upper() + k[1:] for k in KINDS[1:]}}
V4_BODIES = st.sampled_from(KINDS).flatmap(lambda k: st.tuples(st.just(k), _body(k, V4_CLASS[k], V4_MEMBERS)))

# --- v5 bodies: every Extensible object carries its @type, as v5 requires --------------------------------

V5_PARTY = st.fixed_dictionaries(
    {"@type": st.just("RelatedPartyRefOrPartyRoleRef")},
    optional={
        "role": TEXT,
        "partyOrPartyRole": st.one_of(
            st.fixed_dictionaries(
                {"@type": st.just("PartyRef"), "id": TEXT}, optional={"name": TEXT, "@referredType": TEXT}
            ),
            st.fixed_dictionaries(
                {"@type": st.just("PartyRoleRef"), "id": TEXT}, optional={"partyId": TEXT, "partyName": TEXT}
            ),
        ),
    },
)
V5_VALUE = st.one_of(
    st.fixed_dictionaries(
        {"@type": st.just("StringCharacteristicValueSpecification"), "value": TEXT},
        optional={"valueFrom": st.integers(0, 99), "valueTo": st.integers(0, 99), "isDefault": st.booleans()},
    ),
    st.fixed_dictionaries(
        {"@type": st.just("IntegerCharacteristicValueSpecification"), "value": st.integers()}
    ),
)
V5_CHAR = st.fixed_dictionaries(
    {"@type": st.just("CharacteristicSpecification"), "name": TEXT},
    optional={
        "id": TEXT,
        "characteristicValueSpecification": st.lists(V5_VALUE, max_size=2),
        "charSpecRelationship": st.lists(
            st.fixed_dictionaries(
                {"@type": st.just("CharacteristicSpecificationRelationship"), "name": TEXT}
            ),
            max_size=1,
        ),
    },
)
V5_PRICE = st.one_of(
    st.fixed_dictionaries({"@type": st.just("ProductOfferingPriceRef"), "id": TEXT}, optional={"name": TEXT}),
    st.fixed_dictionaries(
        {"@type": st.just("ProductOfferingPrice"), "name": TEXT, "priceType": TEXT},
        optional={"price": st.fixed_dictionaries({"unit": st.just("EUR"), "value": st.integers(0, 99)})},
    ),
)
V5_USE = st.fixed_dictionaries(
    {"@type": st.just("ProductSpecificationCharacteristicValueUse"), "name": TEXT},
    optional={"productSpecCharacteristicValue": st.lists(V5_VALUE, max_size=2)},
)
V5_MEMBERS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "catalog": {
        "relatedParty": st.lists(V5_PARTY, max_size=2),
        "category": st.lists(_ref("CategoryRef"), max_size=2),
    },
    "category": {
        "parent": _ref("CategoryRef"),
        "productOffering": st.lists(_ref("ProductOfferingRef"), max_size=1),
    },
    "productOffering": {
        "productOfferingPrice": st.lists(V5_PRICE, max_size=3),
        "prodSpecCharValueUse": st.lists(V5_USE, max_size=2),
        "productOfferingCharacteristic": st.lists(V5_CHAR, max_size=1),
        "policy": st.lists(_ref("PolicyRef"), max_size=1),
        "externalIdentifier": st.lists(
            st.fixed_dictionaries({"@type": st.just("ExternalIdentifier"), "id": TEXT}), max_size=1
        ),
    },
    "productOfferingPrice": {"policy": st.lists(_ref("PolicyRef"), max_size=1), "priceType": TEXT},
    "productSpecification": {
        "relatedParty": st.lists(V5_PARTY, max_size=2),
        "productSpecCharacteristic": st.lists(V5_CHAR, max_size=2),
        "category": st.lists(_ref("CategoryRef"), max_size=1),
        "intentSpecification": _ref("IntentSpecificationRef"),
    },
}
V5_CLASS = {**V4_CLASS, "catalog": "ProductCatalog"}
V5_BODIES = st.sampled_from(KINDS).flatmap(lambda k: st.tuples(st.just(k), _body(k, V5_CLASS[k], V5_MEMBERS)))


def _through(version: str, kind: str, body: dict[str, Any], current: dict[str, Any] | None = None) -> Any:
    return to_stored(version=version, resource=kind, body=body, current=current)


# --- round trips ---------------------------------------------------------------------------------------


@SETTINGS
@given(V4_BODIES)
def test_v4_body_stored_and_read_by_v4_loses_nothing(case: tuple[str, dict[str, Any]]) -> None:
    kind, body = case
    assert to_view(version="v4", resource=kind, stored=_through("v4", kind, body)) == body


@SETTINGS
@given(V5_BODIES)
def test_v5_body_stored_and_read_by_v5_loses_nothing(case: tuple[str, dict[str, Any]]) -> None:
    kind, body = case
    assert to_view(version="v5", resource=kind, stored=_through("v5", kind, body)) == body


BODIES = {"v4": V4_BODIES, "v5": V5_BODIES}


@pytest.mark.parametrize("written", ["v4", "v5"])
@SETTINGS
@given(data=st.data())
def test_a_resource_read_and_echoed_by_the_other_release_is_stored_unchanged(
    written: str, data: st.DataObject
) -> None:
    kind, body = data.draw(BODIES[written])
    other = "v5" if written == "v4" else "v4"
    stored = _through(written, kind, body)
    seen = to_view(version=other, resource=kind, stored=stored)
    assert _through(other, kind, seen, stored) == stored


@pytest.mark.parametrize("written", ["v4", "v5"])
@SETTINGS
@given(data=st.data(), name=TEXT)
def test_a_merge_patch_by_the_other_release_keeps_what_it_cannot_see(
    written: str, data: st.DataObject, name: str
) -> None:
    kind, body = data.draw(BODIES[written])
    other = "v5" if written == "v4" else "v4"
    stored = _through(written, kind, body)
    patched = apply_merge_patch(to_view(version=other, resource=kind, stored=stored), {"name": name})
    after = _through(other, kind, patched, stored)
    assert to_view(version=written, resource=kind, stored=after) == {**body, "name": name}


# --- member by member ------------------------------------------------------------------------------------


def test_related_party_is_flat_in_v4_and_a_party_reference_in_v5() -> None:
    stored = _through("v5", "catalog", {"name": "c", "@type": "Catalog", "relatedParty": [V5_PARTY_EXAMPLE]})
    assert to_view(version="v4", resource="catalog", stored=stored)["relatedParty"] == [
        {
            "role": "vendor",
            "@type": "RelatedPartyRefOrPartyRoleRef",
            "id": "3426",
            "href": "https://mycsp.com:8080/tmf-api/partyManagement/v5/organization/3426",
            "name": "Broadly Broad Ltd",
            "@referredType": "Organization",
        }
    ]
    v4_made = _through(
        "v4", "catalog", {"name": "c", "relatedParty": [{"id": "7", "@referredType": "Individual"}]}
    )
    assert to_view(version="v5", resource="catalog", stored=v4_made)["relatedParty"] == [
        {
            "@type": "RelatedPartyRefOrPartyRoleRef",
            "partyOrPartyRole": {"id": "7", "@referredType": "Individual", "@type": "PartyRef"},
        }
    ]


def test_v4_changing_a_party_role_keeps_what_v5_said_of_the_party() -> None:
    party = {**V5_PARTY_EXAMPLE, "partyOrPartyRole": {"@type": "PartyRoleRef", "id": "9", "partyId": "p1"}}
    party["partyOrPartyRole"]["@referredType"] = "PartyRole"
    stored = _through("v5", "catalog", {"name": "c", "@type": "Catalog", "relatedParty": [party]})
    seen = to_view(version="v4", resource="catalog", stored=stored)
    patched = apply_json_patch(seen, [{"op": "replace", "path": "/relatedParty/0/role", "value": "owner"}])
    after = to_view(version="v5", resource="catalog", stored=_through("v4", "catalog", patched, stored))
    assert after["relatedParty"] == [{**party, "role": "owner"}]


def test_a_party_v4_could_not_write_is_hidden_from_v4_and_kept_when_v4_replaces_the_list() -> None:
    bare = {"@type": "RelatedPartyRefOrPartyRoleRef", "role": "observer"}
    stored = _through(
        "v5", "catalog", {"name": "c", "@type": "Catalog", "relatedParty": [V5_PARTY_EXAMPLE, bare]}
    )
    seen = to_view(version="v4", resource="catalog", stored=stored)
    assert len(seen["relatedParty"]) == 1
    new = {"id": "1", "@referredType": "Individual"}
    after = _through("v4", "catalog", apply_merge_patch(seen, {"relatedParty": [new]}), stored)
    assert after["relatedParty"] == [new, bare]
    removed = _through("v4", "catalog", apply_merge_patch(seen, {"relatedParty": None}), stored)
    assert removed["relatedParty"] == [bare]


def test_embedded_prices_are_hidden_from_v4_and_kept_when_v4_changes_the_references() -> None:
    value = {"@type": "ProductOfferingPrice", "name": "monthly", "priceType": "recurring"}
    ref = {"@type": "ProductOfferingPriceRef", "id": "p1"}
    stored = _through(
        "v5",
        "productOffering",
        {"name": "o", "@type": "ProductOffering", "productOfferingPrice": [ref, value]},
    )
    seen = to_view(version="v4", resource="productOffering", stored=stored)
    assert seen["productOfferingPrice"] == [ref]
    patched = apply_json_patch(
        seen, [{"op": "add", "path": "/productOfferingPrice/-", "value": {"id": "p2"}}]
    )
    after = _through("v4", "productOffering", patched, stored)
    assert after["productOfferingPrice"] == [ref, {"id": "p2"}, value]
    assert to_view(version="v5", resource="productOffering", stored=after)["productOfferingPrice"] == [
        ref,
        {"id": "p2", "@type": "ProductOfferingPriceRef"},
        value,
    ]


def test_category_parent_id_in_v4_is_a_parent_reference_in_v5() -> None:
    parent = {"id": "c1", "name": "Mobile", "@type": "CategoryRef", "version": "2"}
    stored = _through("v5", "category", {"name": "x", "@type": "Category", "parent": parent})
    assert stored["parentId"] == "c1"
    assert "parent" not in to_view(version="v4", resource="category", stored=stored)
    assert to_view(version="v4", resource="category", stored=stored)["parentId"] == "c1"
    # v4 renames the category: the parent's details stay
    renamed = _through(
        "v4", "category", {**to_view(version="v4", resource="category", stored=stored), "name": "y"}, stored
    )
    assert to_view(version="v5", resource="category", stored=renamed)["parent"] == parent
    # v4 moves it: the old parent's details no longer apply
    moved = _through(
        "v4",
        "category",
        {**to_view(version="v4", resource="category", stored=stored), "parentId": "c2"},
        stored,
    )
    assert to_view(version="v5", resource="category", stored=moved)["parent"] == {
        "id": "c2",
        "@type": "CategoryRef",
    }
    # v5 moves a v4-made category
    v4_made = _through("v4", "category", {"name": "z", "@type": "Category", "parentId": "c1"})
    seen = to_view(version="v5", resource="category", stored=v4_made)
    assert seen["parent"] == {"id": "c1", "@type": "CategoryRef"}
    after = _through(
        "v5", "category", apply_merge_patch(seen, {"parent": {"id": "c3", "@type": "CategoryRef"}}), v4_made
    )
    assert after["parentId"] == "c3"
    assert to_view(version="v4", resource="category", stored=after) == {
        "name": "z",
        "@type": "Category",
        "parentId": "c3",
    }
    unchanged = _through("v5", "category", apply_merge_patch(seen, {"name": "w"}), v4_made)
    assert unchanged == {"name": "w", "@type": "Category", "parentId": "c1"}


def test_characteristic_value_bounds_are_strings_in_v4_and_integers_in_v5() -> None:
    v5_char = {
        "@type": "CharacteristicSpecification",
        "name": "speed",
        "characteristicValueSpecification": [
            {"@type": "IntegerCharacteristicValueSpecification", "value": 5, "valueFrom": 1, "valueTo": 10}
        ],
    }
    stored = _through(
        "v5",
        "productSpecification",
        {"name": "s", "@type": "ProductSpecification", "productSpecCharacteristic": [v5_char]},
    )
    v4 = to_view(version="v4", resource="productSpecification", stored=stored)["productSpecCharacteristic"]
    assert v4 == [
        {
            "@type": "CharacteristicSpecification",
            "name": "speed",
            "productSpecCharacteristicValue": [
                {
                    "@type": "IntegerCharacteristicValueSpecification",
                    "value": 5,
                    "valueFrom": "1",
                    "valueTo": "10",
                }
            ],
        }
    ]
    v4_made = _through(
        "v4",
        "productSpecification",
        {
            "name": "s",
            "productSpecCharacteristic": [
                {
                    "name": "c",
                    "productSpecCharacteristicValue": [{"value": "x", "valueFrom": "low", "valueTo": " 7"}],
                }
            ],
        },
    )
    v5 = to_view(version="v5", resource="productSpecification", stored=v4_made)["productSpecCharacteristic"]
    assert v5[0]["characteristicValueSpecification"] == [
        {"value": "x", "valueTo": 7, "@type": "StringCharacteristicValueSpecification"}
    ]


@pytest.mark.parametrize(
    ("value", "cls"),
    [
        ("a", "String"),
        (True, "Boolean"),
        (3, "Integer"),
        (2.5, "Number"),
        ({"a": 1}, "Object"),
        (["a", "b"], "StringArray"),
        ([1, 2.5], "NumberArray"),
        ([1, "a"], ""),
        ([], ""),
        (None, ""),
    ],
)
def test_v5_types_a_characteristic_value_by_its_json_type(value: Any, cls: str) -> None:
    stored = {
        "name": "o",
        "@type": "ProductOffering",
        "prodSpecCharValueUse": [{"name": "u", "productSpecCharacteristicValue": [{"value": value}]}],
    }
    use = to_view(version="v5", resource="productOffering", stored=stored)["prodSpecCharValueUse"][0]
    assert use["@type"] == "ProductSpecificationCharacteristicValueUse"
    assert use["productSpecCharacteristicValue"][0]["@type"] == f"{cls}CharacteristicValueSpecification"


def test_v5_view_types_nested_objects_v4_left_untyped() -> None:
    stored = {
        "name": "o",
        "@type": "ProductOffering",
        "category": [{"id": "c"}],
        "productSpecification": {"id": "s", "targetProductSchema": {"@schemaLocation": "x"}},
        "attachment": [{"id": "a1"}, {"url": "http://x", "name": "doc"}],
        "productOfferingTerm": [
            {"name": "t", "duration": {"amount": 12.0, "units": "month"}, "validFor": {}}
        ],
    }
    view = to_view(version="v5", resource="productOffering", stored=stored)
    assert view["category"] == [{"id": "c", "@type": "CategoryRef"}]
    assert view["productSpecification"] == {
        "id": "s",
        "@type": "ProductSpecificationRef",
        "targetProductSchema": {"@schemaLocation": "x"},
    }
    assert [a["@type"] for a in view["attachment"]] == ["AttachmentRef", "Attachment"]
    term = view["productOfferingTerm"][0]
    assert term == {
        "name": "t",
        "@type": "ProductOfferingTerm",
        "duration": {"amount": 12, "units": "month"},
        "validFor": {},
    }
    assert type(term["duration"]["amount"]) is int
    assert "category" in stored and stored["category"] == [{"id": "c"}]  # the stored body is not changed


def test_a_client_changing_true_to_1_changed_the_member() -> None:
    stored = _through("v4", "productOffering", {"name": "o", "extA": 1})
    after = _through("v4", "productOffering", {"name": "o", "extA": True}, stored)
    assert after["extA"] is True


def test_stored_paths_of_v5_filters() -> None:
    assert stored_path(version="v5", resource="category", path="parent.id") == "parentId"
    assert stored_path(version="v5", resource="category", path="parent.name") == "parent.name"
    assert (
        stored_path(version="v5", resource="catalog", path="relatedParty.partyOrPartyRole.id")
        == "relatedParty.id"
    )
    assert stored_path(
        version="v5", resource="productSpecification", path="relatedParty.partyOrPartyRole.@type"
    ) == ("relatedParty.partyOrPartyRole.@type")
    assert stored_path(
        version="v5",
        resource="productSpecification",
        path="productSpecCharacteristic.characteristicValueSpecification.value",
    ) == ("productSpecCharacteristic.productSpecCharacteristicValue.value")
    assert stored_path(version="v4", resource="category", path="parent.id") == "parent.id"
    assert stored_path(version="v5", resource="productOffering", path="name") == "name"


def test_collections_and_unknown_names() -> None:
    assert kind_of(collection="productCatalog") == "catalog"
    assert kind_of(collection="catalog") == "catalog"
    assert kind_of(collection="productOffering") == "productOffering"
    with pytest.raises(KeyError):
        kind_of(collection="productOrder")
    with pytest.raises(ValueError, match="no TMF620 mapping"):
        to_view(version="v6", resource="catalog", stored={})
    with pytest.raises(ValueError, match="no TMF620 mapping"):
        to_stored(version="v5", resource="productOrder", body={}, current=None)


def test_values_of_the_wrong_shape_pass_through_for_validation_to_judge() -> None:
    odd = {
        "name": "s",
        "relatedParty": [{"@type": "RelatedPartyRefOrPartyRoleRef", "partyOrPartyRole": "x"}, 7],
    }
    stored = _through("v5", "productSpecification", odd)
    assert stored["relatedParty"] == odd["relatedParty"]
    weird = {
        "name": "s",
        "productSpecCharacteristic": "none",
        "prodSpecCharValueUse": [3, {"productSpecCharacteristicValue": 4}],
    }
    assert (
        to_view(version="v5", resource="productSpecification", stored=weird)["productSpecCharacteristic"]
        == "none"
    )
    assert (
        to_view(version="v4", resource="productSpecification", stored=weird)["prodSpecCharValueUse"]
        == weird["prodSpecCharValueUse"]
    )
    # a v4 party list changed by v4 where an element has no id: nothing of v5's to keep for it
    made = _through("v5", "catalog", {"name": "c", "relatedParty": [V5_PARTY_EXAMPLE]})
    seen = to_view(version="v4", resource="catalog", stored=made)
    changed = _through(
        "v4", "catalog", {**seen, "relatedParty": [*seen["relatedParty"], {"role": "x"}]}, made
    )
    assert changed["relatedParty"][1] == {"role": "x"}
    # a party v5 wrote with nothing beyond v4's members stores no partyOrPartyRole
    plain = {
        "@type": "RelatedPartyRefOrPartyRoleRef",
        "partyOrPartyRole": {"id": "1", "@referredType": "Individual"},
    }
    assert _through("v5", "catalog", {"name": "c", "relatedParty": [plain]})["relatedParty"] == [
        {"@type": "RelatedPartyRefOrPartyRoleRef", "id": "1", "@referredType": "Individual"}
    ]


def test_v5_echo_of_a_v5_parent_keeps_it_and_a_parent_without_id_is_kept_as_sent() -> None:
    parent = {"id": "c1", "name": "Mobile", "@type": "CategoryRef"}
    stored = _through("v5", "category", {"name": "x", "parent": parent})
    again = _through("v5", "category", {"name": "y", "parent": dict(parent)}, stored)
    assert again == {"name": "y", "parent": parent, "parentId": "c1"}
    loose = _through("v5", "category", {"name": "x", "parent": {"name": "no id"}}, stored)
    assert loose == {"name": "x", "parent": {"name": "no id"}}
    assert to_view(version="v5", resource="category", stored=loose)["parent"] == {
        "name": "no id",
        "@type": "CategoryRef",
    }


def test_v5_view_leaves_the_stored_body_unchanged_and_copies_only_what_it_types() -> None:
    stored: dict[str, Any] = {
        "name": "o",
        "@type": "ProductOffering",
        "validFor": {"startDateTime": "2026-01-01T00:00:00Z"},
        "category": [{"id": "c"}],
        "channel": [{"id": "web", "@type": "ChannelRef"}],
        "productOfferingPrice": [{"id": "p", "price": {"value": 1.0, "unit": "EUR"}, "validFor": {}}],
    }
    before = copy.deepcopy(stored)
    view = to_view(version="v5", resource="productOffering", stored=stored)
    assert stored == before  # the store and its cache may share the body
    assert view is not stored
    assert view["validFor"] is stored["validFor"]  # nothing to type: shared
    assert view["channel"] is stored["channel"]  # already typed: shared
    assert view["category"] == [{"id": "c", "@type": "CategoryRef"}]
    assert view["productOfferingPrice"][0]["@type"] == "ProductOfferingPrice"
    assert view["productOfferingPrice"][0]["price"] == {"value": 1.0, "unit": "EUR"}
    view["category"][0]["name"] = "changed"
    view["name"] = "changed"
    assert stored == before

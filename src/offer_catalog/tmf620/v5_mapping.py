"""One stored TMF620 resource seen through v4 and v5, and v4/v5 write bodies turned into stored form.

The stored body is v4-shaped (what v4 always stored, so older data needs no migration) plus whatever
v5 wrote that v4 has no place for. Member by member mapping: docs/tmf620-v5.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from types import UnionType
from typing import Any

from offer_catalog.resources.shapes import Problem
from offer_catalog.resources.tmf620 import BY_PATH as V4_RESOURCES
from offer_catalog.resources.tmf620.v5 import ALL as V5_RESOURCES
from offer_catalog.resources.uris import is_uri
from offer_catalog.tmf620.v5_types import with_types

V4 = "v4"
V5 = "v5"
VERSIONS = (V4, V5)

KINDS = ("catalog", "category", "productOffering", "productOfferingPrice", "productSpecification")
# v5 renamed the catalog collection; the store kind stays the v4 name, so both versions share one catalog.
V5_COLLECTIONS: dict[str, str] = {"productCatalog": "catalog", **{k: k for k in KINDS[1:]}}
V4_COLLECTIONS: dict[str, str] = {k: k for k in KINDS}

# The v5 schema of each kind (`@type` is stored as written: v5 examples type a productCatalog `Catalog`).
V5_SCHEMA = {"catalog": "ProductCatalog", **{k: k[0].upper() + k[1:] for k in KINDS[1:]}}

Json = dict[str, Any]
_PARTY = ("id", "href", "name", "@referredType")  # a v4 RelatedParty's own members, a v5 party ref's
_PARTY_EXTRA = "partyOrPartyRole"  # v5's party ref members beyond _PARTY, kept in the stored element
_VALUE_BOUNDS = ("valueFrom", "valueTo")  # v4 strings, v5 integers


def kind_of(*, collection: str) -> str:
    """The store kind of a v4 or v5 collection name (KeyError if neither serves it)."""
    return V5_COLLECTIONS.get(collection) or V4_COLLECTIONS[collection]


def to_view(*, version: str, resource: str, stored: Mapping[str, Any]) -> Json:
    """What a client of `version` sees of a stored body (before `fields` selection)."""
    _check(version, resource)
    if version == V4:
        return _v4_view(resource, stored)
    return _v5_view(resource, stored)


def to_stored(
    *,
    version: str,
    resource: str,
    body: Mapping[str, Any],
    current: Mapping[str, Any] | None,
    current_view: Mapping[str, Any] | None = None,
) -> Json:
    """A whole resource as a `version` client means it, as stored; what it cannot see comes from `current`.

    current_view: `to_view` of `current` for this `version` when the caller has built it already."""
    _check(version, resource)
    old: Mapping[str, Any] = current if current is not None else {}
    if current is None:
        seen: Mapping[str, Any] = {}
    else:
        seen = (
            current_view
            if current_view is not None
            else to_view(version=version, resource=resource, stored=old)
        )
    write = _v4_write if version == V4 else _v5_write
    result: Json = {}
    for name, value in body.items():
        if name in old and name in seen and _same(seen[name], value):
            result[name] = old[name]  # unchanged as this client sees it: kept exactly, hidden parts too
        else:
            converted = write(resource, name, value, old.get(name))
            result[name] = _keep_elements(version, resource, name, value, converted, old.get(name))
    if version == V4:
        _v4_restore(resource, body, old, result)
    else:
        _v5_restore(resource, body, old, seen, result)
    return result


def stored_path(*, version: str, resource: str, path: str) -> str:
    """A dotted filter, sort or fields path in `version` terms as the stored body spells it."""
    _check(version, resource)
    if version == V4:
        return path
    for prefix, stored in _V5_PATHS.get(resource, ()):
        if path == prefix or path.startswith(prefix + "."):
            return stored + path[len(prefix) :]
    return path


def _check(version: str, resource: str) -> None:
    if version not in VERSIONS or resource not in KINDS:
        raise ValueError(f"no TMF620 mapping for {version} {resource}")


# --- v4 ---------------------------------------------------------------------------------------------


# Stored members whose v4 view differs from what is stored (every other member is seen as stored).
_V4_SHAPED = frozenset(
    {"parent", "relatedParty", "productOfferingPrice", "productSpecCharacteristic", "prodSpecCharValueUse"}
)


# Top-level members v4 types and a v5 write does not check as v4 does: `@schemaLocation` (a URI in
# v4.0.0, any string in v5) and the v4 members v5 dropped (a v5 write keeps them as undeclared members
# of any value: ProductOfferingPrice `constraint`, Category `parentId`).
_V4_CHECKED: dict[str, tuple[str, ...]] = {
    v5.kind: ("@schemaLocation", *sorted(set(V4_RESOURCES[v5.kind].shape.props) - set(v5.shape.props)))
    for v5 in V5_RESOURCES
}


def _v4_unfit(resource: str, stored: Mapping[str, Any]) -> tuple[str, ...]:
    """The checked members of a stored body whose value v4 cannot carry (a v5 client wrote them): hidden
    from v4 and kept. Only the few checked members present are looked at, not the whole body."""
    unfit: tuple[str, ...] = ()
    for name in _V4_CHECKED[resource]:
        if name in stored and not _fits_v4(resource, name, stored[name]):
            unfit += (name,)
    return unfit


@lru_cache(maxsize=1024)
def _v4_schema_location(value: str) -> bool:
    """Whether v4 carries this @schemaLocation (an absolute URI); a catalog holds few distinct ones."""
    return is_uri(value)


def _fits_v4(resource: str, name: str, value: Any) -> bool:
    if name == "@schemaLocation":
        return isinstance(value, str) and _v4_schema_location(value)
    shape = V4_RESOURCES[resource].member(name)
    problems: list[Problem] = []
    if shape is not None:
        shape.check(value, "", problems)
    return not problems


def _v4_view(resource: str, stored: Mapping[str, Any]) -> Json:
    unfit = _v4_unfit(resource, stored)
    if not unfit and _V4_SHAPED.isdisjoint(stored):
        return dict(stored)  # the usual v4 read: nothing to map
    view: Json = {}
    for name, value in stored.items():
        if name in unfit:
            continue  # v4 cannot carry this value: hidden, kept (_v4_restore)
        if resource == "category" and name == "parent":
            continue  # seen as parentId
        if name == "relatedParty" and isinstance(value, list):
            value = [_drop(e, _PARTY_EXTRA) for e in value if not _v5_only_party(e)]
        elif name == "productOfferingPrice" and resource == "productOffering" and isinstance(value, list):
            value = [e for e in value if not _embedded_price(e)]
        elif name == "productSpecCharacteristic":
            value = _each(value, lambda c: _members(c, {"productSpecCharacteristicValue": _v4_values}))
        elif name == "prodSpecCharValueUse":
            value = _each(value, lambda u: _members(u, {"productSpecCharacteristicValue": _v4_values}))
        view[name] = value
    return view


def _v4_write(resource: str, name: str, value: Any, old: Any) -> Any:
    if name == "relatedParty" and isinstance(value, list):
        # A changed list: elements the client still sees keep what only v5 saw of them (by id).
        by_id = _index(old)
        return [_merge_hidden(e, by_id, (_PARTY_EXTRA,)) for e in value]
    return value


def _v4_values(values: Any) -> Any:
    return _each(values, partial(_bounds, int | float, _v4_bound))


def _v4_bound(number: float) -> Any:
    return number if isinstance(number, bool) else str(number)  # v4 declares the bounds as strings


def _v5_only_party(element: Any) -> bool:
    # A party v4 could not write (v4 requires id and @referredType): hidden from v4, kept.
    return isinstance(element, dict) and not ("id" in element and "@referredType" in element)


def _embedded_price(element: Any) -> bool:
    # v5 may embed a whole price; v4 only refers to one by id: hidden from v4, kept.
    return isinstance(element, dict) and "id" not in element


# --- v5 ---------------------------------------------------------------------------------------------


# Stored members whose v5 view differs from what is stored beyond `@type` (with the view of each element).
_V5_SHAPED: dict[str, Callable[[Json], Json]] = {
    "relatedParty": lambda e: _v5_party(e),
    "productSpecCharacteristic": lambda c: _v5_characteristic(c),
    "prodSpecCharValueUse": lambda u: _members(u, {"productSpecCharacteristicValue": _v5_values}),
    "productOfferingTerm": lambda t: _members(t, {"duration": _v5_duration}),
}


def _v5_view(resource: str, stored: Mapping[str, Any]) -> Json:
    view = dict(stored)  # shallow: nested values are shared until a mapping replaces them
    for name in _V5_SHAPED.keys() & stored.keys():
        view[name] = _each(stored[name], _V5_SHAPED[name])
    if resource == "category" and ("parentId" in stored or "parent" in stored):
        view.pop("parentId", None)
        view.pop("parent", None)  # placed last, as v5 names it
        view["parent"] = _v5_parent(stored)
    return with_types(V5_SCHEMA[resource], view)


def _v5_write(resource: str, name: str, value: Any, old: Any) -> Any:
    if name == "relatedParty" and isinstance(value, list):
        return [_v5_party_stored(e) if isinstance(e, dict) else e for e in value]
    if name == "productSpecCharacteristic" and isinstance(value, list):
        return [_v5_characteristic_stored(c) if isinstance(c, dict) else c for c in value]
    return value


def _v5_parent(stored: Mapping[str, Any]) -> Any:
    parent, parent_id = stored.get("parent"), stored.get("parentId")
    if "parentId" not in stored or (isinstance(parent, dict) and parent.get("id") == parent_id):
        return parent
    return {"id": parent_id}  # written by v4, or v4 moved the category since v5 named its parent


def _v5_party(element: Json) -> Json:
    outer = {k: v for k, v in element.items() if k not in _PARTY and k != _PARTY_EXTRA}
    if outer.get("@type") in (None, "RelatedParty"):
        outer["@type"] = "RelatedPartyRefOrPartyRoleRef"
    extra = element.get(_PARTY_EXTRA)
    party = {k: element[k] for k in _PARTY if k in element}
    if isinstance(extra, dict):
        party.update(extra)
    if party:
        outer[_PARTY_EXTRA] = party
    return outer


def _v5_party_stored(element: Json) -> Json:
    out = {k: v for k, v in element.items() if k != _PARTY_EXTRA}
    party = element.get(_PARTY_EXTRA)
    if isinstance(party, dict):
        out.update({k: party[k] for k in _PARTY if k in party})
        extra = {k: v for k, v in party.items() if k not in _PARTY}
        if extra:
            out[_PARTY_EXTRA] = extra
    elif _PARTY_EXTRA in element:
        out[_PARTY_EXTRA] = party  # not an object: kept as given, for validation to judge
    return out


# The member v4's ProductSpecificationCharacteristic and v5's CharacteristicSpecification name differently.
# (Their relationship lists are not renamed: v4's names a specification by id, v5's a characteristic of
# one, and v5's own examples still write `productSpecCharRelationship`: each is kept as written.)
_CHAR_RENAMES = (("productSpecCharacteristicValue", "characteristicValueSpecification"),)


def _v5_characteristic(characteristic: Json) -> Json:
    out: Json = {}
    for name, value in characteristic.items():
        v5_name = dict(_CHAR_RENAMES).get(name, name)
        out[v5_name] = _v5_values(value) if name == "productSpecCharacteristicValue" else value
    return out


def _v5_characteristic_stored(characteristic: Json) -> Json:
    back = {v5: v4 for v4, v5 in _CHAR_RENAMES}
    out: Json = {}
    for name, value in characteristic.items():
        v4_name = back.get(name, name)
        out[v4_name] = value  # values are stored as v5 wrote them; v4 reads integer bounds as strings
    return out


def _v5_values(values: Any) -> Any:
    # v5 declares an integer: a v4 bound that is none is not shown, but kept
    return _each(values, partial(_bounds, str, _integer))


def _bounds(written: type | UnionType, convert: Callable[[Any], Any], value: Json) -> Json:
    """A characteristic value with each bound (_VALUE_BOUNDS) that is `written` (a type) as `convert`
    gives it in this release (None: not shown)."""
    out = dict(value)
    for bound in _VALUE_BOUNDS:
        given = out.get(bound)
        if isinstance(given, written):
            shown = convert(given)
            if shown is None:
                del out[bound]
            elif shown is not given:
                out[bound] = shown
    return out


def _integer(text: str) -> int | None:
    stripped = text.strip()
    digits = stripped[1:] if stripped[:1] in "+-" else stripped
    if not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        return None
    return int(stripped)


def _v5_duration(duration: Any) -> Any:
    amount = duration.get("amount") if isinstance(duration, dict) else None
    if isinstance(amount, float) and amount.is_integer() and abs(amount) < 2**63:
        return {**duration, "amount": int(amount)}  # v4 Quantity's float, v5 Duration's integer
    return duration


# --- what a write keeps ------------------------------------------------------------------------------


def _keep_elements(version: str, resource: str, name: str, value: Any, converted: Any, old: Any) -> Any:
    """A changed list whose elements the client left as it saw them keeps those stored elements exactly."""
    # (a write converts a list element by element: `converted` is as long as `value`)
    if not (isinstance(value, list) and isinstance(converted, list) and isinstance(old, list)):
        return converted
    views = [to_view(version=version, resource=resource, stored={name: [e]}).get(name) for e in old]
    unused = list(range(len(old)))
    out = list(converted)
    for i, element in enumerate(value):
        match = next((j for j in unused if _same(views[j], [element])), None)
        if match is not None:
            unused.remove(match)
            out[i] = old[match]
    return out


def _v4_restore(resource: str, body: Mapping[str, Any], old: Mapping[str, Any], result: Json) -> None:
    """Put back what v4 cannot see of the stored body: v5's parent details, parties and embedded prices,
    and the members whose v5-written values v4 cannot carry (unless the write gives them anew)."""
    for name in _v4_unfit(resource, old):
        if name not in body:
            result[name] = old[name]
    parent = old.get("parent")
    if resource == "category" and isinstance(parent, dict) and parent.get("id") == result.get("parentId"):
        result["parent"] = parent
    hidden: list[tuple[str, Callable[[Any], bool]]] = [("relatedParty", _v5_only_party)]
    if resource == "productOffering":
        hidden.append(("productOfferingPrice", _embedded_price))
    for name, is_hidden in hidden:
        kept = [e for e in _list(old.get(name)) if is_hidden(e)]
        if kept and (name not in body or result[name] is not old.get(name)):
            result[name] = [*_list(result.get(name)), *kept]


def _v5_restore(
    resource: str, body: Mapping[str, Any], old: Mapping[str, Any], seen: Mapping[str, Any], result: Json
) -> None:
    """v5 names a category's parent by a reference; v4 (and the store) by parentId."""
    if resource != "category" or "parent" not in body:
        return
    parent = body["parent"]
    if "parent" in seen and _same(seen["parent"], parent):
        if result["parent"] is not old.get("parent"):
            del result["parent"]  # v4 wrote the parent: it stays a parentId
        if "parentId" in old:
            result["parentId"] = old["parentId"]
    elif isinstance(parent, dict) and isinstance(parent.get("id"), str):
        result["parentId"] = parent["id"]


# --- helpers ----------------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    """JSON equality: unlike Python's ==, true is not 1 (a client changing one to the other changed it)."""
    if a is b:
        return True  # a value a write left as it was (JSON holds no NaN: a value equals itself)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return (
            isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
        )
    numbers = isinstance(a, int | float) and isinstance(b, int | float)
    return (numbers or type(a) is type(b)) and a == b


def _each(values: Any, convert: Callable[[Json], Json]) -> Any:
    if not isinstance(values, list):
        return values
    return [convert(v) if isinstance(v, dict) else v for v in values]


def _members(obj: Any, convert: Mapping[str, Callable[[Any], Any]]) -> Any:
    if not isinstance(obj, dict):
        return obj
    return {k: convert[k](v) if k in convert else v for k, v in obj.items()}


def _drop(obj: Any, name: str) -> Any:
    if isinstance(obj, dict) and name in obj:
        return {k: v for k, v in obj.items() if k != name}
    return obj


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _index(values: Any) -> dict[str, Json]:
    return {v["id"]: v for v in _list(values) if isinstance(v, dict) and isinstance(v.get("id"), str)}


def _merge_hidden(element: Any, by_id: Mapping[str, Json], names: tuple[str, ...]) -> Any:
    if not isinstance(element, dict) or not isinstance(element.get("id"), str):
        return element
    previous = by_id.get(element["id"])
    if previous is None:
        return element
    return {**element, **{n: previous[n] for n in names if n in previous and n not in element}}


_V5_PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    "category": (("parent.id", "parentId"),),
    "catalog": tuple((f"relatedParty.{_PARTY_EXTRA}.{m}", f"relatedParty.{m}") for m in _PARTY),
    "productSpecification": (
        *((f"relatedParty.{_PARTY_EXTRA}.{m}", f"relatedParty.{m}") for m in _PARTY),
        *((f"productSpecCharacteristic.{v5}", f"productSpecCharacteristic.{v4}") for v4, v5 in _CHAR_RENAMES),
    ),
}

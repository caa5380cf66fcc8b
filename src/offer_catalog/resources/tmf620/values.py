"""The members every TMF620 resource shares and the small value types (TMF620 v4.1.0 swagger definitions).

Transcribed at development time from `TMF620-ProductCatalog-v4.1.0.swagger.json`
(`definitions.<Name>.properties`); nothing reads the swagger at runtime. A reference is an object
carrying the members its definition requires (`definitions.<Ref>.required`, v4.0.0's where 4.1.0
dropped the definition): a client generated from the specification cannot read one that lacks them.
`id` and `href` are left out: the server manages them.
"""

from __future__ import annotations

from offer_catalog.resources.shapes import Arr, Bool, Num, Obj, Shape, Str

STRING = Str()
BOOLEAN = Bool()
NUMBER = Num()
DATE_TIME = Str(fmt="date-time")
OBJECT = Obj()  # a nested value or a reference the specification does not constrain further

TIME_PERIOD = Obj({"endDateTime": DATE_TIME, "startDateTime": DATE_TIME})
MONEY = Obj({"unit": STRING, "value": NUMBER})
QUANTITY = Obj({"amount": NUMBER, "units": STRING})
# The value types the OpenAPI document names as components.
VALUE_TYPES: dict[str, Obj] = {"TimePeriod": TIME_PERIOD, "Money": MONEY, "Quantity": QUANTITY}


def ref(*required: str) -> Obj:
    """A reference object that must carry the given members."""
    return Obj(required=required)


def refs(*required: str) -> Arr:
    """An array of references that must each carry the given members."""
    return Arr(ref(*required))


OBJECTS = Arr(OBJECT)

# Members of every resource (`lifecycleStatus` is also checked against the resource's lifecycle).
ENTITY: dict[str, Shape] = {
    "description": STRING,
    "lastUpdate": DATE_TIME,
    "lifecycleStatus": STRING,
    "name": STRING,
    "version": STRING,
    "validFor": TIME_PERIOD,
    "@baseType": STRING,
    "@schemaLocation": STRING,
    "@type": STRING,
}


def body_shape(*, required: tuple[str, ...] = ("name",), **own: Shape) -> Obj:
    """The shape of a resource body: its own members (as spelled in the specification), those every
    resource has, and the members a create requires (`*_Create.required`: `name` for all v4.1.0 resources)."""
    return Obj({**own, **ENTITY}, required=required)

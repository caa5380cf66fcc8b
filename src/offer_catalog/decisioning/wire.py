"""The Decisioning API's wire names: base paths, media types and the decision schemas' ids."""

from __future__ import annotations

from typing import Final

ODE: Final = "/data/core/ode"
ODS: Final = "/data/core/ods"
XDM_JSON: Final = "application/vnd.adobe.xdm+json"
JSON: Final = "application/json"
OM: Final = "https://ns.adobe.com/experience/offer-management/"
REQUEST_SCHEMA: Final = OM + "decision-request;version=1.0"
RESPONSE_SCHEMA: Final = OM + "decision-response;version=1.0"
REQUEST_TYPE: Final = f'{XDM_JSON}; schema="{REQUEST_SCHEMA}"'
RESPONSE_TYPE: Final = f'{XDM_JSON}; schema="{RESPONSE_SCHEMA}"'

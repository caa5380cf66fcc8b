"""The request kit every API is built with: responses, units of work, bodies, etags, errors, routes."""

from offer_catalog.http.body import BodyTooLarge, read_json
from offer_catalog.http.conditions import ANY, Etags, etag, if_match, if_none_match, parse_etags
from offer_catalog.http.context import (
    JSONResponse,
    RequestContextMiddleware,
    encoded_response,
    json_response,
    query_items,
    query_string,
    request_id,
    run_sync,
    run_unit,
    store_of,
)
from offer_catalog.http.errors import ErrorRenderer, ErrorTable, Failure, domain_failure, unavailable
from offer_catalog.http.headers import header
from offer_catalog.http.representations import Representations
from offer_catalog.http.routing import Api, ApiMount, ApiRoute, Operation, api_mount

__all__ = [
    "ANY",
    "Api",
    "ApiMount",
    "ApiRoute",
    "BodyTooLarge",
    "ErrorRenderer",
    "ErrorTable",
    "Etags",
    "Failure",
    "JSONResponse",
    "Operation",
    "Representations",
    "RequestContextMiddleware",
    "api_mount",
    "domain_failure",
    "encoded_response",
    "etag",
    "header",
    "if_match",
    "if_none_match",
    "json_response",
    "parse_etags",
    "query_items",
    "query_string",
    "read_json",
    "request_id",
    "run_sync",
    "run_unit",
    "store_of",
    "unavailable",
]

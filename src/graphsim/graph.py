"""The Microsoft Graph host: authentication, routing, permissions, throttling, paging,
query options, $batch and fault injection."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from .faults import FaultRule, retry_after_header
from .identity import InvalidToken
from .odata import (
    ODataError,
    decode_skiptoken,
    encode_skiptoken,
    parse_expand,
    parse_filter,
    parse_orderby,
    parse_select,
    sort_items,
)
from .routes import (
    ALWAYS_STRIPPED,
    BETA_ONLY_ASSIGNMENT_PROPERTIES,
    BETA_ONLY_PROPERTIES,
    BETA_ONLY_TARGET_PROPERTIES,
    NESTED_NAVS,
    SINGLETON_DEFAULTS,
    SPECS_BY_KEY,
    SUB_PAGE_SIZES,
    V1,
    V1_TYPE_MAP,
    CollectionSpec,
    extra_spec,
)
from .tenants import ALL_DEVICES_GROUP_ID, ALL_USERS_GROUP_ID, SUMMARY_KEY, TenantState

if TYPE_CHECKING:
    from .server import GraphSimulator

JSON_CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
ERROR_CONTENT_TYPE = "application/json"
MAX_BATCH = 20
# Graph writes metadata context URLs on its own host whatever host answered; clients never follow
# them (PLAN.md "@odata.context"), so the simulator writes them exactly as Graph does.
CONTEXT_BASE = "https://graph.microsoft.com"
# A list whose items expand ``settings`` is cut to very few items per page, whatever ``$top``
# asks (observed on Graph: "~1-2 policies per page", royklo/RKSolutions-Module FINDINGS.md;
# src/tenantpilot/graph/PLAN.md). The simulator serves at most this many.
EXPANDED_SETTINGS_PAGE_MAX = 2
# Navigation properties Graph accepts in $expand but answers empty (microsoftgraph/
# microsoft-graph-docs#19655: groupPolicyConfigurations?$expand=definitionValues -> []).
EXPANDS_ANSWERED_EMPTY = frozenset({"definitionValues"})
# Types on which ``settings`` is a structural property (a complex-type collection returned by
# default), not a navigation property: never stripped (beta iosMobileAppConfiguration.settings).
SETTINGS_IS_PROPERTY = frozenset({"#microsoft.graph.iosMobileAppConfiguration"})
# Declared properties fixtures may leave out (nullable); a $select naming one is valid even when no
# item carries it. Everything else must appear on some item of the collection (graph-fidelity.md 2.2).
DECLARED_PROPERTIES: dict[str, frozenset[str]] = {
    "microsoft.graph.group": frozenset(
        {
            "displayName",
            "description",
            "groupTypes",
            "securityEnabled",
            "mailEnabled",
            "mailNickname",
            "membershipRule",
            "membershipRuleProcessingState",
            "createdDateTime",
            "mail",
            "visibility",
        }
    ),
    "microsoft.graph.organization": frozenset(
        {"displayName", "verifiedDomains", "tenantType", "countryLetterCode", "createdDateTime"}
    ),
    "microsoft.graph.managedDevice": frozenset(
        {
            "deviceName",
            "operatingSystem",
            "osVersion",
            "complianceState",
            "lastSyncDateTime",
            "enrolledDateTime",
            "managedDeviceOwnerType",
            "managementAgent",
            "userPrincipalName",
            "azureADDeviceId",
            "serialNumber",
            "roleScopeTagIds",
        }
    ),
}
KNOWN_OPTIONS = {"select", "filter", "top", "skip", "skiptoken", "expand", "count", "orderby"}
UNSUPPORTED_OPTIONS = {"search", "format", "levels", "apply", "deltatoken", "compute", "index", "schemaversion"}
TIPS = (
    "This request only returns a subset of the resource's properties. Your app will need to use $select to "
    "return non-default properties. To find out what other properties are available for this resource see "
    "https://learn.microsoft.com/graph/api/resources/intune-deviceconfigv2-devicemanagementconfigurationpolicy"
    "?view=graph-rest-beta"
)
_KEY_SEGMENT = re.compile(r"^([A-Za-z$][\w$]*)\('?([^')]*)'?\)$")
_STATUS_CODES = {
    400: ("BadRequest", "Bad Request"),
    401: ("InvalidAuthenticationToken", "Access token validation failure."),
    403: ("Forbidden", "Forbidden"),
    404: ("ResourceNotFound", "Resource not found"),
    429: ("TooManyRequests", "Too many requests."),
    500: ("InternalServerError", "Internal Server Error"),
    502: ("BadGateway", "Bad Gateway"),
    503: ("ServiceUnavailable", "Service Unavailable"),
    504: ("GatewayTimeout", "Gateway Timeout"),
}


class ResetConnection(Exception):
    """Close the client's connection without answering."""


class GraphError(Exception):
    """An error answer with Graph's ``{"error": {...}}`` body."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


@dataclass
class Result:
    """One answer (outer or inside a batch): status, JSON-able body, extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    malformed: bool = False


@dataclass
class HttpReply:
    """What the HTTP layer writes (or ``reset``: drop the connection)."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    reset: bool = False


def _now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def error_body(code: str, message: str, request_id: str, client_request_id: str) -> dict[str, Any]:
    """Graph's error envelope with an innerError."""
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": _now_stamp(), "request-id": request_id, "client-request-id": client_request_id},
        }
    }


def intune_message(text: str, path: str) -> str:
    """The Intune-wrapped message: a JSON document embedded in the ``message`` string."""
    activity = str(uuid.uuid4())
    url = f"https://fef.msub05.manage.microsoft.com/StatelessGraphService/{path.lstrip('/')}?api-version=5025-01-01"
    message = (
        f"{text} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - "
        f"Activity ID: {activity} - Url: {url}"
    )
    return (
        "{\r\n"
        '  "_version": 3,\r\n'
        f'  "Message": {json.dumps(message)},\r\n'
        '  "CustomApiErrorPhrase": "",\r\n'
        '  "RetryAfter": null,\r\n'
        '  "ErrorSourceService": "",\r\n'
        '  "HttpHeaders": "{}"\r\n'
        "}"
    )


@dataclass
class _Call:
    """Everything one (outer or inner) Graph request needs."""

    version: str
    path: str  # without version, no leading slash
    pairs: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case keys
    claims: dict[str, Any]
    tenant: TenantState
    request_id: str
    client_request_id: str


class GraphService:
    """Answers the Graph host for a :class:`GraphSimulator`."""

    def __init__(self, sim: GraphSimulator) -> None:
        self.sim = sim

    # -- outer request ------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> HttpReply:
        """Serve one HTTP request on the Graph host and log it."""
        path, _, query = target.partition("?")
        pairs = parse_qsl(query, keep_blank_values=True)
        request_id = str(uuid.uuid4())
        client_request_id = headers.get("client-request-id") or request_id
        claims: dict[str, Any] | None = None
        tenant: TenantState | None = None
        auth_error: str | None = None
        try:
            claims = self._authenticate(headers.get("authorization", ""))
            tenant = self.sim._tenant_by_id(str(claims.get("tid")))
            if tenant is None:
                auth_error, claims = "Access token validation failure. Invalid issuer.", None
        except InvalidToken as exc:
            auth_error = str(exc)
        tenant_id = tenant.tenant_id if tenant else None
        client_id = str(claims.get("appid")) if claims else None
        latency, rule = self.sim._faults.match(host="graph", tenant_id=tenant_id, path=target)
        delay = latency + self.sim.latency_ms + (tenant.latency_ms if tenant else 0)
        if delay > 0:
            time.sleep(delay / 1000)
        base_headers = {
            "request-id": request_id,
            "client-request-id": client_request_id,
            "x-ms-ags-diagnostic": '{"ServerInfo":{"DataCenter":"graphsim","Slice":"E","Ring":"1","ScaleUnit":"000","RoleInstance":"GRAPHSIM"}}',
        }
        try:
            if rule is not None:
                result = self._fault_result(rule, request_id, client_request_id)
            elif auth_error is not None or claims is None or tenant is None:
                result = self._unauthorized(auth_error or "Access token is empty.", request_id, client_request_id)
            else:
                segments = [s for s in path.split("/") if s]
                version = segments[0] if segments else ""
                if version not in ("v1.0", "beta"):
                    raise GraphError(400, "BadRequest", f"Invalid version: {version or '(none)'}")
                call = _Call(
                    version, "/".join(segments[1:]), pairs, headers, claims, tenant, request_id, client_request_id
                )
                if segments[1:] == ["$batch"]:
                    if method != "POST":
                        raise GraphError(405, "BadRequest", "The $batch endpoint only accepts POST.")
                    result = self._batch(call, body)
                else:
                    result = self._serve(method, call)
        except ResetConnection:
            self.sim._log("graph", method, path, dict(pairs), 0, tenant_id, client_id, False)
            return HttpReply(0, {}, reset=True)
        except GraphError as exc:
            result = self._error_result(exc, request_id, client_request_id)
        self.sim._log("graph", method, path, dict(pairs), result.status, tenant_id, client_id, False)
        headers_out = {**base_headers, **result.headers}
        if result.malformed:
            headers_out["Content-Type"] = ERROR_CONTENT_TYPE
            return HttpReply(
                200,
                headers_out,
                b'{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#value","value":[{"id":"',
            )
        if result.body is None:
            return HttpReply(result.status, headers_out)
        data = json.dumps(result.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        headers_out.setdefault("Content-Type", JSON_CONTENT_TYPE if result.status < 400 else ERROR_CONTENT_TYPE)
        return HttpReply(result.status, headers_out, data)

    def _authenticate(self, header: str) -> dict[str, Any]:
        if not header.strip():
            raise InvalidToken("Access token is empty.")
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("Access token is empty.")
        if token.count(".") != 2:
            raise InvalidToken("IDX14100: JWT is not well formed, there are no dots (.).")
        return self.sim._token_authority.verify(token.strip())

    # -- answers that are not data ------------------------------------------------------
    def _unauthorized(self, message: str, request_id: str, client_request_id: str) -> Result:
        return Result(
            401,
            error_body("InvalidAuthenticationToken", message, request_id, client_request_id),
            {
                "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/'
                'oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
                "Content-Type": ERROR_CONTENT_TYPE,
            },
        )

    def _error_result(self, exc: GraphError, request_id: str, client_request_id: str) -> Result:
        return Result(
            exc.status,
            error_body(exc.code, exc.message, request_id, client_request_id),
            {"Content-Type": ERROR_CONTENT_TYPE, **exc.headers},
        )

    def _fault_result(self, rule: FaultRule, request_id: str, client_request_id: str) -> Result:
        if rule.kind == "reset":
            raise ResetConnection
        if rule.kind == "malformed":
            return Result(200, None, malformed=True)
        code, message = _STATUS_CODES.get(rule.status, ("UnknownError", "An error occurred."))
        headers = {"Content-Type": ERROR_CONTENT_TYPE}
        if rule.retry_after is not None:
            headers["Retry-After"] = rule.retry_after
        body = error_body(code, message, request_id, client_request_id)
        if rule.status == 429:
            body["error"]["innerError"].update({"code": "429", "message": "Please retry after", "status": "429"})
        return Result(rule.status, body, headers)

    # -- one data request (outer or inside a batch) -------------------------------------
    def _serve(self, method: str, call: _Call) -> Result:
        if method != "GET":
            raise GraphError(
                405, "Request_BadRequest", f"The simulator serves reads only; '{method}' is not supported here."
            )
        spec, rest = self._route(call)
        self._authorize(spec, call)
        self._throttle(spec, call)
        options = self._options(call.pairs)
        if spec.singleton:
            if rest:
                raise GraphError(400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")
            if spec.key == SUMMARY_KEY:
                return self._summary(call, options)
            return self._singleton(spec, call, options)
        if not rest:
            return self._list(spec, call, options)
        return self._item(spec, call, rest, options)

    def _route(self, call: _Call) -> tuple[CollectionSpec, list[str]]:
        segments: list[str] = []
        for raw in call.path.split("/"):
            if not raw:
                continue
            seg = unquote(raw)
            keyed = _KEY_SEGMENT.match(seg)
            if keyed:
                segments += [keyed.group(1), keyed.group(2)]
            else:
                segments.append(seg)
        if not segments:
            raise GraphError(400, "BadRequest", "Resource not found for the segment ''.")
        for length in (3, 2, 1):  # 3: identity/conditionalAccess/policies
            if length > len(segments):
                continue
            key = "/".join(segments[:length])
            spec = SPECS_BY_KEY.get(key)
            if spec is None and key in call.tenant.collections and length == 2:
                spec = extra_spec(key)
            if spec is None:
                continue
            if call.version not in spec.versions:
                raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segments[length - 1]}'.")
            return spec, segments[length:]
        unknown = (
            segments[1]
            if segments[0] in ("deviceManagement", "deviceAppManagement") and len(segments) > 1
            else segments[0]
        )
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{unknown}'.")

    def _authorize(self, spec: CollectionSpec, call: _Call) -> None:
        roles = call.claims.get("roles") or []
        if any(role in spec.permissions for role in roles):
            return
        if spec.service == "directory":
            raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        if not roles:
            text = (
                "Application is not authorized to perform this operation as called in app only context but does "
                "not have application permissions configured."
            )
        else:
            text = (
                "Application is not authorized to perform this operation. Application must have one of the "
                f"following scopes: {', '.join(spec.permissions)}"
            )
        raise GraphError(403, "Forbidden", intune_message(text, call.path))

    def _throttle(self, spec: CollectionSpec, call: _Call) -> None:
        enabled = call.tenant.throttling if call.tenant.throttling is not None else self.sim.throttling
        if not enabled:
            return
        denied = self.sim._buckets.take(spec.bucket, call.tenant.tenant_id, str(call.claims.get("appid")))
        if denied is None:
            return
        wait, scope = denied
        raise GraphError(
            429,
            "TooManyRequests",
            "Too many requests.",
            {
                "Retry-After": retry_after_header(wait),
                "x-ms-throttle-scope": scope,
                "x-ms-throttle-information": "CommandThrottlingLimitExceeded",
            },
        )

    def _options(self, pairs: list[tuple[str, str]]) -> dict[str, str]:
        options: dict[str, str] = {}
        for key, value in pairs:
            lowered = key.strip().lower()
            name = lowered[1:] if lowered.startswith("$") else lowered
            if name in UNSUPPORTED_OPTIONS or (lowered.startswith("$") and name not in KNOWN_OPTIONS):
                raise GraphError(400, "BadRequest", f"Query option '${name}' is not supported.")
            if name not in KNOWN_OPTIONS:
                continue  # Graph ignores unknown non-OData parameters
            if name in options:
                raise GraphError(
                    400,
                    "BadRequest",
                    f"Query option '${name}' was specified more than once but it must be specified at most once.",
                )
            options[name] = value
        return options

    # -- rendering ----------------------------------------------------------------------
    def _render(
        self,
        item: dict[str, Any],
        version: str,
        navs: frozenset[str],
        select: list[str] | None,
        expand: dict[str, str],
        context: str,
        nav_name: str | None = None,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        v1 = version == V1
        settings_property = item.get("@odata.type") in SETTINGS_IS_PROPERTY
        for key, value in item.items():
            structural = key == "settings" and settings_property
            if not structural and (
                key in navs
                or key in ALWAYS_STRIPPED
                or key.endswith("@odata.context")
                or key.endswith("@odata.navigationLink")
            ):
                continue
            if v1 and (
                key in BETA_ONLY_PROPERTIES or (nav_name == "assignments" and key in BETA_ONLY_ASSIGNMENT_PROPERTIES)
            ):
                continue
            if select is not None and key.lower() not in select and key not in ("id", "@odata.type"):
                continue
            if v1 and key == "target" and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k not in BETA_ONLY_TARGET_PROPERTIES}
            out[key] = value
        if v1 and out.get("@odata.type") in V1_TYPE_MAP:
            out["@odata.type"] = V1_TYPE_MAP[out["@odata.type"]]
        for name, nested in expand.items():
            nested_expand = self._nested_expand(nested)
            single = item.get(name)
            if isinstance(single, dict):  # single-valued navigation (e.g. definitionValue.definition)
                out[name] = self._render(single, version, NESTED_NAVS.get(name, frozenset()), None, nested_expand, "")
                continue
            children = [] if name in EXPANDS_ANSWERED_EMPTY else self._children(item, name)
            supplied = item.get(f"{name}@odata.context")
            out[f"{name}@odata.context"] = (
                supplied if isinstance(supplied, str) and supplied else f"{context}('{item.get('id')}')/{name}"
            )
            out[name] = [
                self._render(child, version, NESTED_NAVS.get(name, frozenset()), None, nested_expand, "", name)
                for child in children
            ]
        return out

    @staticmethod
    def _nested_expand(nested: str) -> dict[str, str]:
        for part in nested.split(";"):
            key, _, value = part.partition("=")
            if key.strip().lower() in ("$expand", "expand") and value:
                return parse_expand(value)
        return {}

    @staticmethod
    def _children(item: dict[str, Any], nav: str) -> list[dict[str, Any]]:
        children = item.get(nav)
        if isinstance(children, list):
            return children
        if nav == "scheduledActionsForRule":
            rule_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"rule/{item.get('id')}"))
            return [
                {
                    "id": rule_id,
                    "ruleName": None,
                    "scheduledActionConfigurations": [
                        {
                            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"action/{item.get('id')}")),
                            "gracePeriodHours": 0,
                            "actionType": "block",
                            "notificationTemplateId": "00000000-0000-0000-0000-000000000000",
                            "notificationMessageCCList": [],
                        }
                    ],
                }
            ]
        return []

    def _expand_for(self, navs: frozenset[str], options: dict[str, str], entity: str) -> dict[str, str]:
        if "expand" not in options:
            return {}
        try:
            expand = parse_expand(options["expand"])
        except ODataError as exc:
            raise GraphError(400, "BadRequest", str(exc)) from exc
        for name in expand:
            if name not in navs:
                raise GraphError(400, "BadRequest", f"Could not find a property named '{name}' on type '{entity}'.")
        return expand

    @staticmethod
    def _check_select(select: list[str] | None, items: list[dict[str, Any]], navs: frozenset[str], entity: str) -> None:
        """Refuse a ``$select`` naming a property no item of the collection has (Graph: 400)."""
        if not select or not items:
            return
        known: set[str] = set(navs) | {"id"} | DECLARED_PROPERTIES.get(entity, frozenset())
        for item in items:
            known.update(item)
        lowered = {k.lower() for k in known}
        for name in select:
            if name.lower() not in lowered and "/" not in name and name != "*":
                raise GraphError(400, "BadRequest", f"Could not find a property named '{name}' on type '{entity}'.")

    def _select_for(self, options: dict[str, str]) -> list[str] | None:
        """The ``$select`` names, lower-cased: Graph matches property names case-insensitively."""
        if "select" not in options:
            return None
        try:
            return [name.lower() for name in parse_select(options["select"])]
        except ODataError as exc:
            raise GraphError(400, "BadRequest", str(exc)) from exc

    def _context(self, call: _Call, suffix: str) -> str:
        return f"{CONTEXT_BASE}/{call.version}/$metadata#{suffix}"

    # -- collections ------------------------------------------------------------------
    def _items_for(self, spec: CollectionSpec, tenant: TenantState, version: str) -> list[dict[str, Any]]:
        items = tenant.collections.get(spec.key, [])
        if spec.union:
            seen = {str(item.get("id")) for item in items}
            items = list(items)
            for key, types in spec.union:
                for item in tenant.collections.get(key, []):
                    if types is not None and item.get("@odata.type") not in types:
                        continue
                    if str(item.get("id")) not in seen:
                        seen.add(str(item.get("id")))
                        items.append(item)
        if version == V1 and spec.beta_only_types:
            items = [item for item in items if item.get("@odata.type") not in spec.beta_only_types]
        return items

    def _page(
        self,
        call: _Call,
        items: list[dict[str, Any]],
        options: dict[str, str],
        *,
        default_size: int,
        max_top: int,
        directory: bool,
        skip_supported: bool,
    ) -> tuple[list[dict[str, Any]], int, int, str | None]:
        """Filter, order and cut one page: (page, total, offset, nextLink)."""
        if "filter" in options:
            try:
                predicate = parse_filter(options["filter"])
            except ODataError as exc:
                raise GraphError(400, "BadRequest", str(exc)) from exc
            items = [item for item in items if predicate(item)]
        if "orderby" in options:
            try:
                items = sort_items(items, parse_orderby(options["orderby"]))
            except ODataError as exc:
                raise GraphError(400, "BadRequest", str(exc)) from exc
        size = default_size
        if "top" in options:
            try:
                top = int(options["top"])
            except ValueError as exc:
                raise GraphError(
                    400, "BadRequest", f"Invalid value '{options['top']}' for $top query option found."
                ) from exc
            if top < 1 or (directory and top > max_top):
                raise GraphError(
                    400,
                    "Request_BadRequest" if directory else "BadRequest",
                    f"Invalid page size specified: '{top}'. Must be between 1 and {max_top} inclusive.",
                )
            size = min(top, max_top)
        offset = 0
        if "skip" in options:
            if not skip_supported:
                raise GraphError(400, "Request_BadRequest", "'$skip' is not supported by the service.")
            try:
                offset = int(options["skip"])
            except ValueError as exc:
                raise GraphError(
                    400, "BadRequest", f"Invalid value '{options['skip']}' for $skip query option found."
                ) from exc
        if "skiptoken" in options:
            try:
                state = decode_skiptoken(options["skiptoken"])
                offset = int(state.get("o", 0))
                size = int(state.get("s", size))
            except (ODataError, ValueError) as exc:
                raise GraphError(400, "BadRequest", "The $skiptoken is not valid.") from exc
        total = len(items)
        page = items[offset : offset + size]
        next_link = None
        if offset + size < total:
            next_link = self._next_link(call, offset + size, size)
        return page, total, offset, next_link

    def _next_link(self, call: _Call, offset: int, size: int) -> str:
        kept = [(k, v) for k, v in call.pairs if k.strip().lower() not in ("$skiptoken", "skiptoken", "$skip", "skip")]
        kept.append(("$skiptoken", encode_skiptoken({"o": offset, "s": size})))
        query = urlencode(kept, quote_via=quote, safe="$,()'/:@")
        return f"{self.sim.graph_base}/{call.version}/{call.path}?{query}"

    def _list(self, spec: CollectionSpec, call: _Call, options: dict[str, str]) -> Result:
        select = self._select_for(options)
        expand = self._expand_for(spec.navs, options, spec.entity)
        items = self._items_for(spec, call.tenant, call.version)
        self._check_select(select, items, spec.navs, spec.entity)
        capped = "settings" in expand
        page, total, offset, next_link = self._page(
            call,
            items,
            options,
            default_size=min(spec.page_size, EXPANDED_SETTINGS_PAGE_MAX) if capped else spec.page_size,
            max_top=EXPANDED_SETTINGS_PAGE_MAX if capped else spec.max_top,
            directory=spec.service == "directory",
            skip_supported=spec.skip_supported,
        )
        context_key = f"{spec.key}({','.join(parse_select(options['select']))})" if select else spec.key
        body: dict[str, Any] = {"@odata.context": self._context(call, context_key)}
        if spec.tips and select is None:
            body["@microsoft.graph.tips"] = TIPS
        if spec.count == "total":
            body["@odata.count"] = total
        elif spec.count == "page":
            body["@odata.count"] = len(page)
        elif spec.count == "directory":
            wants = options.get("count", "").lower() == "true"
            eventual = call.headers.get("consistencylevel", "").lower() == "eventual"
            if wants and eventual and offset == 0:
                body["@odata.count"] = total
        if next_link:
            body["@odata.nextLink"] = next_link
        item_context = self._context(call, spec.key)
        body["value"] = [self._render(item, call.version, spec.navs, select, expand, item_context) for item in page]
        if spec.list_withheld:
            # Graph writes these properties as null in list answers; only a GET by id fills them
            # (graph/PLAN.md section 9: the Intune script bodies).
            for rendered in body["value"]:
                for name in spec.list_withheld:
                    if select is None or name.lower() in select:
                        rendered[name] = None
        return Result(200, body)

    def _not_found(self, spec: CollectionSpec, call: _Call, ident: str) -> GraphError:
        if spec.service == "directory":
            return GraphError(
                404,
                "Request_ResourceNotFound",
                f"Resource '{ident}' does not exist or one of its queried reference-property objects are not present.",
            )
        return GraphError(404, "ResourceNotFound", intune_message("Resource not found", call.path))

    def _item(self, spec: CollectionSpec, call: _Call, rest: list[str], options: dict[str, str]) -> Result:
        item_id = rest[0]
        if spec.key == "groups" and item_id.lower() in (ALL_USERS_GROUP_ID, ALL_DEVICES_GROUP_ID):
            raise self._not_found(spec, call, item_id)
        item = next(
            (
                i
                for i in self._items_for(spec, call.tenant, call.version)
                if str(i.get("id", "")).lower() == item_id.lower()
            ),
            None,
        )
        if item is None:
            raise self._not_found(spec, call, item_id)
        context_path = f"{spec.key}('{item.get('id')}')"
        if len(rest) == 1:
            select = self._select_for(options)
            expand = self._expand_for(spec.navs, options, spec.entity)
            body = {
                "@odata.context": self._context(call, f"{spec.key}/$entity"),
                **self._render(item, call.version, spec.navs, select, expand, self._context(call, spec.key)),
            }
            return Result(200, body)
        node, allowed, remaining = item, spec.navs, rest[1:]
        while remaining:
            nav = remaining[0]
            if nav not in allowed:
                raise GraphError(400, "BadRequest", f"Resource not found for the segment '{nav}'.")
            children = self._children(node, nav)
            child_navs = NESTED_NAVS.get(nav, frozenset())
            if len(remaining) == 1:
                return self._sub_list(call, children, nav, child_navs, f"{context_path}/{nav}", options)
            child_id = remaining[1]
            child = next((c for c in children if str(c.get("id", "")).lower() == child_id.lower()), None)
            if child is None:
                raise self._not_found(spec, call, child_id)
            context_path = f"{context_path}/{nav}('{child.get('id')}')"
            if len(remaining) == 2:
                select = self._select_for(options)
                expand = self._expand_for(child_navs, options, nav)
                body = {
                    "@odata.context": self._context(call, f"{context_path}/$entity"),
                    **self._render(child, call.version, child_navs, select, expand, "", nav),
                }
                return Result(200, body)
            node, allowed, remaining = child, child_navs, remaining[2:]
        raise GraphError(400, "BadRequest", "Resource not found for the segment ''.")  # pragma: no cover

    def _sub_list(
        self,
        call: _Call,
        children: list[dict[str, Any]],
        nav: str,
        child_navs: frozenset[str],
        context_path: str,
        options: dict[str, str],
    ) -> Result:
        select = self._select_for(options)
        expand = self._expand_for(child_navs, options, nav)
        page, _total, _offset, next_link = self._page(
            call,
            children,
            options,
            default_size=SUB_PAGE_SIZES.get(nav, 1000),
            max_top=1000,
            directory=False,
            skip_supported=True,
        )
        body: dict[str, Any] = {"@odata.context": self._context(call, context_path)}
        if next_link:
            body["@odata.nextLink"] = next_link
        body["value"] = [self._render(c, call.version, child_navs, select, expand, "", nav) for c in page]
        return Result(200, body)

    def _summary(self, call: _Call, options: dict[str, str]) -> Result:
        select = self._select_for(options)
        summary = call.tenant.compliance_summary()
        if select is not None:
            summary = {k: v for k, v in summary.items() if k == "id" or k.lower() in select}
        key = "deviceManagement/deviceCompliancePolicyDeviceStateSummary/$entity"
        return Result(200, {"@odata.context": self._context(call, key), **summary})

    def _singleton(self, spec: CollectionSpec, call: _Call, options: dict[str, str]) -> Result:
        """A stored singleton (the tenant document holds it as an object or a one-item list).

        Entities answer with ``…/$entity`` contexts; ``deviceManagement/settings`` is a complex-type
        property and carries no ``id``. A tenant without the object answers its
        :data:`~.routes.SINGLETON_DEFAULTS` entry, else 404 like Intune.
        """
        stored = call.tenant.collections.get(spec.key) or []
        if not stored and spec.key in SINGLETON_DEFAULTS:
            stored = [dict(SINGLETON_DEFAULTS[spec.key])]
        if not stored:
            raise GraphError(404, "ResourceNotFound", intune_message("Resource not found", call.path))
        select = self._select_for(options)
        self._check_select(select, stored[:1], spec.navs, spec.entity)
        body = self._render(stored[0], call.version, spec.navs, select, {}, "")
        entity = "id" in stored[0]
        context = self._context(call, f"{spec.key}/$entity" if entity else spec.key)
        return Result(200, {"@odata.context": context, **body})

    # -- $batch -------------------------------------------------------------------------
    def _batch(self, call: _Call, body: bytes) -> Result:
        try:
            payload = json.loads(body.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise GraphError(400, "BadRequest", "Invalid batch payload format.") from exc
        requests = payload.get("requests") if isinstance(payload, dict) else None
        if not isinstance(requests, list) or not requests:
            raise GraphError(400, "BadRequest", "Invalid batch payload format.")
        if len(requests) > MAX_BATCH:
            raise GraphError(400, "BadRequest", f"Number of batch request steps exceeds the maximum of {MAX_BATCH}.")
        ids: set[str] = set()
        for request in requests:
            if not isinstance(request, dict) or not all(isinstance(request.get(k), str) for k in ("method", "url")):
                raise GraphError(400, "BadRequest", "Invalid batch payload format.")
            # Graph accepts string and number ids (IntuneCD sends numbers) and echoes the same JSON type.
            request_id = request.get("id")
            if isinstance(request_id, bool) or not isinstance(request_id, str | int):
                raise GraphError(400, "BadRequest", "Invalid batch payload format.")
            if str(request_id) in ids:
                raise GraphError(400, "BadRequest", f"Batch request contains a duplicate id '{request_id}'.")
            ids.add(str(request_id))
        responses = []
        malformed = False
        for request in requests:
            result = self._inner(call, request)
            malformed = malformed or result.malformed
            entry: dict[str, Any] = {"id": request["id"], "status": result.status}
            content_type = JSON_CONTENT_TYPE if result.status < 400 else ERROR_CONTENT_TYPE
            entry["headers"] = {"Content-Type": content_type, "Cache-Control": "no-cache", **result.headers}
            if result.body is not None:
                entry["body"] = result.body
            responses.append(entry)
        return Result(200, {"responses": responses}, malformed=malformed)

    def _inner(self, outer: _Call, request: dict[str, Any]) -> Result:
        url = str(request["url"]).strip()
        method = str(request["method"]).upper()
        request_id = str(uuid.uuid4())
        if url.lower().startswith(("http://", "https://")):
            result = self._error_result(
                GraphError(400, "BadRequest", "Batch request URLs must be relative."),
                request_id,
                outer.client_request_id,
            )
            self.sim._log(
                "graph", method, url, {}, result.status, outer.tenant.tenant_id, str(outer.claims.get("appid")), True
            )
            return result
        path, _, query = url.lstrip("/").partition("?")
        for prefix in ("v1.0/", "beta/"):
            if path.startswith(prefix):
                path = path[len(prefix) :]
        pairs = parse_qsl(query, keep_blank_values=True)
        headers = {str(k).lower(): str(v) for k, v in (request.get("headers") or {}).items()}
        full_path = f"/{outer.version}/{path}"
        target = full_path + (f"?{query}" if query else "")
        latency, rule = self.sim._faults.match(
            host="graph", tenant_id=outer.tenant.tenant_id, path=target, inside_batch=True
        )
        if latency:
            time.sleep(latency / 1000)
        call = _Call(
            outer.version, path, pairs, headers, outer.claims, outer.tenant, request_id, outer.client_request_id
        )
        try:
            if rule is not None:
                result = self._fault_result(rule, request_id, outer.client_request_id)
            else:
                result = self._serve(method, call)
        except GraphError as exc:
            result = self._error_result(exc, request_id, outer.client_request_id)
        result.headers.pop("Content-Type", None)
        self.sim._log(
            "graph",
            method,
            full_path,
            dict(pairs),
            result.status,
            outer.tenant.tenant_id,
            str(outer.claims.get("appid")),
            True,
        )
        return result

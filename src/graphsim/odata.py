"""The OData query options the simulator understands: $filter, $select, $expand, $orderby.

Anything it cannot parse raises :class:`ODataError`, which the Graph layer answers with
400 BadRequest, as Graph does for query options it does not support.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]


class ODataError(ValueError):
    """A query option the simulator (like Graph) refuses."""


_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<datetime>\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)
      | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-]))
      | (?P<number>-?\d+(?:\.\d+)?(?![\w.-]))
      | (?P<lparen>\()
      | (?P<rparen>\))
      | (?P<comma>,)
      | (?P<word>[A-Za-z_@$][\w@.$]*(?:/[A-Za-z_@$][\w@.$]*)*)
    )""",
    re.VERBOSE,
)

_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCTIONS = {"startswith", "endswith", "contains"}


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise ODataError(f"Invalid filter clause: Syntax error at position {pos} in '{text}'.")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _lookup(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("/"):
        if part.startswith("microsoft.graph."):
            continue  # a type cast (microsoft.graph.managedApp/appAvailability): the property decides
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _norm(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _compare(op: str, left: Any, right: Any) -> bool:
    left, right = _norm(left), _norm(right)
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        if op == "gt":
            return bool(left > right)
        if op == "ge":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        return False


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def error(self) -> ODataError:
        return ODataError(f"Invalid filter clause: Syntax error at position {self.pos} in '{self.text}'.")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (kind and token[0] != kind) or (value and token[1].lower() != value):
            raise self.error()
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        if not self.tokens:
            raise ODataError("Invalid filter clause: the filter is empty.")
        predicate = self.parse_or()
        if self.peek() is not None:
            raise self.error()
        return predicate

    def parse_or(self) -> Predicate:
        parts = [self.parse_and()]
        while (tok := self.peek()) is not None and tok == ("word", tok[1]) and tok[1].lower() == "or":
            self.pos += 1
            parts.append(self.parse_and())
        if len(parts) == 1:
            return parts[0]
        return lambda item: any(p(item) for p in parts)

    def parse_and(self) -> Predicate:
        parts = [self.parse_not()]
        while (tok := self.peek()) is not None and tok[0] == "word" and tok[1].lower() == "and":
            self.pos += 1
            parts.append(self.parse_not())
        if len(parts) == 1:
            return parts[0]
        return lambda item: all(p(item) for p in parts)

    def parse_not(self) -> Predicate:
        tok = self.peek()
        if tok is not None and tok[0] == "word" and tok[1].lower() == "not":
            self.pos += 1
            inner = self.parse_not()
            return lambda item: not inner(item)
        return self.parse_primary()

    def parse_primary(self) -> Predicate:
        tok = self.peek()
        if tok is None:
            raise self.error()
        if tok[0] == "lparen":
            # "(microsoft.graph.managedApp/appAvailability) eq null": a parenthesized operand
            ahead = self.tokens[self.pos + 1 : self.pos + 4]
            if (
                len(ahead) == 3
                and ahead[0][0] == "word"
                and ahead[1][0] == "rparen"
                and ahead[2][0] == "word"
                and ahead[2][1].lower() in _COMPARISONS
            ):
                path = ahead[0][1]
                self.pos += 3
                op = self.take("word")[1].lower()
                right = self.parse_operand()
                return lambda item: _compare(op, _lookup(item, path), right(item))
            self.pos += 1
            inner = self.parse_or()
            self.take("rparen")
            return inner
        if tok[0] == "word" and tok[1].lower() in _FUNCTIONS:
            nxt = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else None
            if nxt is not None and nxt[0] == "lparen":
                return self.parse_function()
        left = self.parse_operand()
        op_tok = self.take("word")
        op = op_tok[1].lower()
        if op == "in":
            self.take("lparen")
            values = [self.parse_literal_value()]
            while self.peek() == ("comma", ","):
                self.pos += 1
                values.append(self.parse_literal_value())
            self.take("rparen")
            normalized = [_norm(v) for v in values]
            return lambda item: _norm(left(item)) in normalized
        if op not in _COMPARISONS:
            raise ODataError(f"Invalid filter clause: operator '{op_tok[1]}' is not supported.")
        right = self.parse_operand()
        return lambda item: _compare(op, left(item), right(item))

    def parse_function(self) -> Predicate:
        name = self.take("word")[1].lower()
        self.take("lparen")
        subject = self.parse_operand()
        self.take("comma")
        needle = self.parse_operand()
        self.take("rparen")

        def apply(item: dict[str, Any]) -> bool:
            haystack, value = subject(item), needle(item)
            if not isinstance(haystack, str) or not isinstance(value, str):
                return False
            haystack, value = haystack.lower(), value.lower()
            if name == "startswith":
                return haystack.startswith(value)
            if name == "endswith":
                return haystack.endswith(value)
            return value in haystack

        return apply

    def parse_literal_value(self) -> Any:
        getter = self.parse_operand(literal_only=True)
        return getter({})

    def parse_operand(self, literal_only: bool = False) -> Callable[[dict[str, Any]], Any]:
        kind, value = self.take()
        if kind == "string":
            text = value[1:-1].replace("''", "'")
            return lambda item: text
        if kind == "number":
            number: float | int = float(value) if "." in value else int(value)
            return lambda item: number
        if kind in ("datetime", "guid"):
            return lambda item: value
        if kind == "word":
            lowered = value.lower()
            if lowered in ("true", "false"):
                flag = lowered == "true"
                return lambda item: flag
            if lowered == "null":
                return lambda item: None
            if lowered in _COMPARISONS or lowered in ("and", "or", "not", "in") or "(" in value:
                raise self.error()
            nxt = self.peek()
            if nxt is not None and nxt[0] == "lparen":
                # a lambda (any/all) or an unknown function: Graph-side feature we don't do
                raise ODataError(f"Invalid filter clause: '{value}' is not supported.")
            if literal_only:
                raise self.error()
            path = value
            return lambda item: _lookup(item, path)
        raise self.error()


def parse_filter(text: str) -> Predicate:
    """Compile a $filter expression (eq/ne/gt/ge/lt/le/in, and/or/not, parentheses,
    startswith/endswith/contains; string comparison is case-insensitive)."""
    return _Parser(text).parse()


def parse_select(text: str) -> list[str]:
    """$select=a,b,c -> ["a", "b", "c"]."""
    fields = [f.strip() for f in text.split(",")]
    if not all(fields):
        raise ODataError(f"Syntax error: character ',' is not valid at position in '{text}'.")
    return fields


def parse_expand(text: str) -> dict[str, str]:
    """$expand=a,b($expand=c) -> {"a": "", "b": "$expand=c"} (names lower-cased)."""
    result: dict[str, str] = {}
    depth, start = 0, 0
    parts: list[str] = []
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ODataError(f"Syntax error in $expand '{text}'.")
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if depth != 0:
        raise ODataError(f"Syntax error in $expand '{text}'.")
    parts.append(text[start:])
    for part in parts:
        part = part.strip()
        if not part:
            raise ODataError(f"Syntax error in $expand '{text}'.")
        name, _, nested = part.partition("(")
        result[name.strip()] = nested[:-1] if nested.endswith(")") else nested
    return result


def parse_orderby(text: str) -> list[tuple[str, bool]]:
    """$orderby=a desc,b -> [("a", True), ("b", False)] (True = descending)."""
    order: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ODataError(f"Invalid $orderby '{text}'.")
        order.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return order


def sort_items(items: list[dict[str, Any]], order: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """Stable multi-key sort; None sorts first ascending, as Graph does."""
    result = list(items)
    for field, descending in reversed(order):

        def key(item: dict[str, Any], field: str = field) -> tuple[int, Any]:
            value = _norm(_lookup(item, field))
            if value is None:
                return (0, "")
            if isinstance(value, bool | int | float):
                return (1, float(value))
            if isinstance(value, str):
                return (2, value)
            return (3, json.dumps(value, sort_keys=True))

        result.sort(key=key, reverse=descending)
    return result


def encode_skiptoken(state: dict[str, Any]) -> str:
    """An opaque, URL-safe continuation token."""
    raw = json.dumps(state, separators=(",", ":")).encode()
    return "RFNwdAI" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token: str) -> dict[str, Any]:
    """Inverse of :func:`encode_skiptoken`; ODataError when it is not one of ours."""
    if not token.startswith("RFNwdAI"):
        raise ODataError("The $skiptoken is not valid.")
    body = token[len("RFNwdAI") :]
    try:
        state = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError) as exc:
        raise ODataError("The $skiptoken is not valid.") from exc
    if not isinstance(state, dict):
        raise ODataError("The $skiptoken is not valid.")
    return state

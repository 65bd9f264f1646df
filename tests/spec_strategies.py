"""Hypothesis strategies for response bodies that the official OpenAPI schemas allow.

hypothesis-jsonschema (the natural tool) does not run on the Hypothesis this suite uses, and
the specs are OpenAPI rather than plain JSON Schema, so this is a small generator of its own:
``$ref`` (resolved in the document), ``allOf`` (merged), ``anyOf``/``oneOf``, ``enum``,
``type`` (lists included), OpenAPI 3.0 ``nullable`` (via the sandbox tests' ``_prepare``),
required and optional properties, ``minItems``/``maxItems``, integer and number bounds,
string ``pattern`` and the date formats. Optional properties below a depth are left out, so
VAPI's deep Assistant schema stays small; anything the spec allows beyond that is fair game,
including ``null`` for every nullable field and text where a format is only a hint.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cache
from typing import Any

from hypothesis import strategies as st

from tests.conftest import specs_dir
from tests.sandbox.test_spec_responses import _prepare

MAX_DEPTH = 4
_TIMES = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)


@cache
def spec(name: str) -> dict[str, Any]:
    raw = json.loads((specs_dir() / name).read_text())
    return _prepare(raw, openapi30=raw["openapi"].startswith("3.0"))


def response_schema(name: str, path: str, method: str = "get", status: str = "200") -> Any:
    op = spec(name)["paths"][path][method]
    return op["responses"][status]["content"]["application/json"]["schema"]


def component(name: str, schema: str) -> Any:
    return spec(name)["components"]["schemas"][schema]


def body(
    name: str, schema: Any, *, max_depth: int = MAX_DEPTH, **fixed: Any
) -> st.SearchStrategy[Any]:
    """Bodies ``schema`` (of spec ``name``) allows; ``fixed`` top-level keys are replaced
    (e.g. the paging fields, so a list is its last page). Objects deeper than ``max_depth``
    get their required properties only."""
    doc = spec(name)
    strategy = _strategy(doc, schema, MAX_DEPTH - max_depth)
    if not fixed:
        return strategy
    return strategy.map(lambda b: {**b, **fixed} if isinstance(b, dict) else b)


def _resolve(doc: dict[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
        assert seen < 50, "a $ref cycle"
    return node


def _merged(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``allOf`` folded into one schema (properties and required lists united)."""
    parts = [_resolve(doc, p) for p in node.get("allOf", [])]
    out = {k: v for k, v in node.items() if k != "allOf"}
    for part in parts:
        part = _merged(doc, part) if "allOf" in part else part
        for key, value in part.items():
            if key == "properties":
                out["properties"] = {**out.get("properties", {}), **value}
            elif key == "required":
                out["required"] = [*out.get("required", []), *value]
            else:
                out.setdefault(key, value)
    return out


def _strategy(doc: dict[str, Any], node: Any, depth: int) -> st.SearchStrategy[Any]:
    node = _resolve(doc, node)
    if not isinstance(node, dict):
        return st.none()
    if "allOf" in node:
        node = _merged(doc, node)
    for key in ("anyOf", "oneOf"):
        if key in node:
            rest = {k: v for k, v in node.items() if k not in (key, "title", "description")}
            return st.one_of(
                [_strategy(doc, {**rest, **_resolve(doc, o)}, depth) for o in node[key]]
            )
    if node.get("enum"):  # (VAPI has an empty enum or two: no constraint, then)
        return st.sampled_from(node["enum"])
    if "const" in node:
        return st.just(node["const"])
    types = node.get("type")
    if isinstance(types, list):
        return st.one_of([_strategy(doc, {**node, "type": t}, depth) for t in types])
    if types is None:
        types = "object" if "properties" in node else None
    if types == "object":
        return _object(doc, node, depth)
    if types == "array":
        items = _strategy(doc, node.get("items", {}), depth + 1)
        low = node.get("minItems", 0)
        return st.lists(items, min_size=low, max_size=max(low, min(node.get("maxItems", 3), 3)))
    if types == "string":
        return _string(node)
    if types == "integer":
        return st.integers(node.get("minimum", -(2**31)), node.get("maximum", 2**31))
    if types == "number":
        return st.one_of(
            st.integers(-(10**6), 10**6),
            st.floats(
                node.get("minimum"), node.get("maximum"), allow_nan=False, allow_infinity=False
            ),
        )
    if types == "boolean":
        return st.booleans()
    if types == "null":
        return st.none()
    return st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10))


def _object(doc: dict[str, Any], node: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    props = node.get("properties", {})
    required = set(node.get("required", []))
    fixed = {k: _strategy(doc, v, depth + 1) for k, v in props.items() if k in required}
    optional = (
        {k: _strategy(doc, v, depth + 1) for k, v in props.items() if k not in required}
        if depth < MAX_DEPTH
        else {}
    )
    return st.fixed_dictionaries(fixed, optional=optional)


def _string(node: dict[str, Any]) -> st.SearchStrategy[str]:
    text = st.text(max_size=24)
    if "pattern" in node:
        return st.from_regex(node["pattern"], fullmatch=True)
    fmt = node.get("format")
    if fmt == "date-time":
        return st.one_of(_TIMES.map(lambda t: t.isoformat().replace("+00:00", "Z")), text)
    if fmt == "date-time-rfc-2822":
        return st.one_of(_TIMES.map(format_datetime), text)
    if fmt == "date":
        return st.one_of(_TIMES.map(lambda t: t.date().isoformat()), text)
    low = node.get("minLength", 0)
    return st.text(min_size=low, max_size=max(low, min(node.get("maxLength", 24), 24)))

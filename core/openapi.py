"""What the OpenAPI schema says about every input, beyond each model.

Three rules hold for every string and number a client sends, anywhere
(core.validation, core.jsonio, core.middleware), and the schema says so, so
that generated clients and schemathesis send what the server takes:

- no string, and no key of an object, contains NUL;
- a number inside free-form JSON (metadata, settings values) is smaller than
  2**63 in magnitude, so PostgreSQL hands it back as it was sent;
- free-form JSON is any JSON value under those two rules (component JsonValue).

Only request schemas and parameters are rewritten: responses are what the
server wrote, and rows stored before these rules may hold larger numbers.
"""

from __future__ import annotations

from typing import Any

from core.validation import JSON_NUMBER_LIMIT

NO_NUL = "^[^\\u0000]*$"
JSON_VALUE_REF = {"$ref": "#/components/schemas/JsonValue"}
JSON_VALUE = {
    "description": "Any JSON value: strings and keys without NUL, numbers under 2**63.",
    "anyOf": [
        {"type": "null"},
        {"type": "boolean"},
        {
            "type": "number",
            "exclusiveMinimum": -JSON_NUMBER_LIMIT,
            "exclusiveMaximum": JSON_NUMBER_LIMIT,
        },
        {"type": "string", "pattern": NO_NUL},
        {"type": "array", "items": JSON_VALUE_REF},
        {
            "type": "object",
            "propertyNames": {"pattern": NO_NUL},
            "additionalProperties": JSON_VALUE_REF,
        },
    ],
}
_FREE_FORM = (True, {})


def _is_string(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def _constrain(node: Any) -> Any:
    """The node with the input rules added, recursively."""
    if isinstance(node, list):
        return [_constrain(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _constrain(value) for key, value in node.items()}
    if _is_string(node) and not ({"enum", "format", "pattern", "const"} & node.keys()):
        node["pattern"] = NO_NUL
    if node.get("type") == "object" or "additionalProperties" in node:
        if node.get("additionalProperties", True) in _FREE_FORM and "properties" not in node:
            node["additionalProperties"] = JSON_VALUE_REF
        if node.get("additionalProperties") is not False:
            node.setdefault("propertyNames", {"pattern": NO_NUL})
    if node == {}:  # "any value" (a setting's value, a patch's value)
        return JSON_VALUE_REF
    return node


def _request_components(paths: dict[str, Any]) -> set[str]:
    names = set()
    for operations in paths.values():
        for operation in operations.values():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                if ref:
                    names.add(ref.rsplit("/", 1)[-1])
    return names


def _refs(node: Any) -> set[str]:
    """The names of the components a schema node refers to, at any depth."""
    if isinstance(node, list):
        return set().union(*map(_refs, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
    return found.union(*map(_refs, node.values())) if node else found


def input_rules_hook(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry (after its enum hook)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    pending = _request_components(result.get("paths", {}))
    seen: set[str] = set()
    while pending:  # request components and those they refer to
        name = pending.pop()
        seen.add(name)
        pending |= _refs(schemas.get(name, {})) - seen
    for name in seen & schemas.keys():
        schemas[name] = _constrain(schemas[name])
    schemas["JsonValue"] = JSON_VALUE
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _constrain(parameter.get("schema", {}))
            for content in operation.get("requestBody", {}).get("content", {}).values():
                content["schema"] = _constrain(content.get("schema", {}))
    return result

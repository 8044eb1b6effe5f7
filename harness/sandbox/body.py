"""Reading a REST request's JSON body: the object it wraps and that object's typed fields."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from harness.sandbox.api import Call, invalid
from harness.sandbox.render import Json


def json_body(call: Call) -> Json:
    """Return the request's JSON object, or answer 400."""
    try:
        body = json.loads(call.request.get_data() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise invalid("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    return body


def wrapped(call: Call, key: str) -> Json:
    """Return the object wrapped under `key` in the request body, e.g. {"user": {...}}."""
    inner = json_body(call).get(key)
    if not isinstance(inner, dict):
        raise invalid(f"The request body must wrap the {key} in a '{key}' object.")
    return inner


def new_resource(call: Call, kind: str) -> Json:
    """Return the `kind` object a create request wraps; its `type`, if given, must be `kind`."""
    data = wrapped(call, kind)
    if data.get("type", kind) != kind:
        raise invalid(f"Type must be {kind}.")
    return data


def required_text(data: Json, name: str) -> str:
    """Return a string field that must be present and not blank."""
    value = optional_text(data, name)
    if value is None or not value.strip():
        raise invalid(f"{_label(name)} can't be blank.")
    return value


def optional_text(data: Json, name: str) -> str | None:
    """Return a string field, or None when it is absent or null."""
    value: Any = data.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid(f"{_label(name)} must be a string.")
    return value


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def int_field(data: Json, name: str, default: int | None) -> int | None:
    """Return an integer field (booleans are refused), or the default when absent."""
    value: Any = data.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise invalid(f"{_label(name)} must be an integer.")
    return value


def reference_id(data: Json, name: str, allowed_types: Sequence[str]) -> str:
    """Return the id of a `{"id": ..., "type": ...}` reference field, checking its type."""
    ref = data.get(name)
    if not isinstance(ref, dict) or not isinstance(ref.get("id"), str):
        raise invalid(f"{_label(name)} must be a reference with an id.")
    if ref.get("type") not in allowed_types:
        raise invalid(f"{_label(name)} type must be one of {', '.join(allowed_types)}.")
    return str(ref["id"])

"""Whether PagerDuty's OpenAPI documents allow what a drift change brings.

Reads the REST and Events v2 documents as plain JSON (no validator): for an interaction's
operation and status it walks the response schema along a change's location, resolving `$ref`s
and merging `allOf`/`oneOf`/`anyOf` branches, and answers whether the new value is in the
documented enum, the new field among the documented properties, the new JSON type or format
allowed, the new status, media type or header listed.  Changes that bring nothing new (a removed
variant, a missing interaction, a header no longer sent) get None, as do all changes when no
documents are at hand.  The documents' enums also name the fields whose values drift compares.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.cassettes import Recording
from harness.drift.compare import compute_drift
from harness.drift.model import DriftReport
from harness.errors import ConfigError, InputError
from harness.inputs import parse_json, read_text
from harness.openapi import ENV_VAR, openapi_dir

DOCUMENTS = {"rest": "REST/openapiv3.json", "events": "events-v2/openapiv3.json"}
# The REST document is 2.7 MB; anything this big is not one.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
_EVENTS_PREFIX = "/v2"
# A change's format class (`harness.drift.formats`) against the documents' `format`.
_FORMATS = {
    "timestamp": ("date-time",),
    "date": ("date",),
    "url": ("uri", "url"),
    "email": ("email",),
    "uuid": ("uuid",),
}
_JSON_TYPES = {
    "integer": "number",
    "number": "number",
    "string": "string",
    "object": "object",
    "array": "array",
    "boolean": "boolean",
}
Schema = dict[str, Any]


NO_DOCUMENTS = (
    "PagerDuty's OpenAPI documents were not at hand, so no change says whether it is "
    "documented: give --spec DIR or set HARNESS_OPENAPI_DIR"
)


def compare_documented(*, baseline: Recording, candidate: Recording, spec: Path | None = None) -> DriftReport:
    """`compute_drift` with the documents' judgement, from `--spec`, else where they are kept."""
    documents = load_documents(documents_dir(spec), required=spec is not None)
    if documents is None:
        report = compute_drift(baseline=baseline, candidate=candidate)
        return replace(report, notes=(*report.notes, NO_DOCUMENTS)) if report.changes else report
    return compute_drift(
        baseline=baseline, candidate=candidate, judge=documents.judge, enum_fields=documents.enum_fields
    )


def documents_dir(explicit: Path | None = None) -> Path | None:
    """Where the documents are: `--spec DIR`, else the harness's locator (env var, cached copy)."""
    if explicit is not None:
        return explicit
    return openapi_dir()


def load_documents(directory: Path | None, *, required: bool = False) -> Documents | None:
    """The documents in `directory`; None when absent, unless `required` (an explicit `--spec`)."""
    if directory is None:
        return None
    loaded: dict[str, Any] = {}
    hint = f"fetch the documents again (`nox -s spec`), or point --spec or {ENV_VAR} elsewhere"
    for api, name in DOCUMENTS.items():
        path = directory / name
        if not os.path.lexists(path):
            if required:
                raise ConfigError(
                    f"{path}: PagerDuty OpenAPI document not found",
                    hint="name the directory holding REST/ and events-v2/openapiv3.json",
                )
            return None
        try:
            # Read as recordings are: a regular file, bounded in size and nesting.
            document = parse_json(read_text(path, limit=MAX_DOCUMENT_BYTES, hint=hint), where=str(path))
        except InputError as exc:
            raise ConfigError(str(exc), hint=hint) from None
        except ValueError:
            raise ConfigError(f"{path}: not JSON", hint=hint) from None
        if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
            raise ConfigError(f"{path}: not an OpenAPI document (no paths)", hint=hint)
        loaded[api] = document
    return Documents(loaded["rest"], loaded["events"])


class Documents:
    """PagerDuty's documents, asked about drift changes."""

    def __init__(self, rest: Any, events: Any) -> None:
        self._docs = {"rest": rest, "events": events}
        self._operations = [
            (
                api,
                method.upper(),
                re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)) + "$"),
                operation,
            )
            for api, document in self._docs.items()
            for path, item in document.get("paths", {}).items()
            for method, operation in item.items()
            if isinstance(operation, dict)
        ]
        self.enum_fields = frozenset(self._enum_fields())

    def judge(
        self, kind: str, label: str, status: str, location: str, brought: frozenset[str]
    ) -> bool | None:
        """Whether the documents allow what the change brings (`brought`); None if it brings nothing."""
        if kind in ("variant-removed", "interaction-missing", "header-removed"):
            return None
        found = self._operation(label)
        if found is None:
            return False
        api, operation = found
        if kind == "interaction-added":
            return True
        responses = operation.get("responses", {})
        if kind == "status-changed":
            return all(code.split(", ")[-1] in responses for code in brought)
        response = self._resolve(api, responses.get(status.split(", ")[-1], {}))
        if kind == "content-type-changed":
            return all(media in response.get("content", {}) for media in brought)
        if kind == "header-added":
            names = {name.lower() for name in response.get("headers", {})}
            return location.rsplit(".", 1)[-1] in names
        media = response.get("content", {}).get("application/json", {})
        return self._body(api, media.get("schema", {}), location, kind, brought)

    def _body(self, api: str, schema: Schema, location: str, kind: str, brought: frozenset[str]) -> bool:
        steps = location.removeprefix("response.body").lstrip(".")
        parents: list[Schema] = []
        schemas = list(self._branches(api, schema))
        for token in filter(None, steps.split(".")):
            name, lists = token.rstrip("[]"), token.count("[]")
            parents = schemas
            schemas = [
                self._resolve(api, s["properties"][name]) for s in parents if name in s.get("properties", {})
            ]
            schemas = [b for s in schemas for b in self._branches(api, s)]
            for _ in range(lists):
                schemas = [b for s in schemas for b in self._branches(api, s.get("items", {}))]
            if not schemas:
                return False
        field = steps.rsplit(".", 1)[-1].rstrip("[]")
        if kind in ("field-removed", "optional-field-removed", "field-sometimes-missing"):
            return not any(field in p.get("required", ()) for p in parents)
        if kind == "enum-value-added":
            enums = {str(v) for s in schemas for v in s.get("enum", ())}
            return brought <= enums if enums else True
        if kind == "type-changed":
            allowed = {_JSON_TYPES.get(s.get("type", ""), "") for s in schemas}
            if any(s.get("nullable") for s in schemas):
                allowed.add("null")
            return "" in allowed or brought <= allowed
        if kind == "format-changed":
            formats = {s["format"] for s in schemas if "format" in s}
            return all(_format_allowed(form, formats) for form in brought)
        return True

    def _operation(self, label: str) -> tuple[str, Schema] | None:
        method, _, target = label.partition(" ")
        path = target.split("?", 1)[0]
        for api, verb, pattern, operation in self._operations:
            wanted = path.removeprefix(_EVENTS_PREFIX) if api == "events" else path
            if verb == method and pattern.match(wanted):
                return api, operation
        return None

    def _resolve(self, api: str, schema: Any) -> Schema:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 50:
            node: Any = self._docs[api]
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = (
                    node.get(part.replace("~1", "/").replace("~0", "~"), {})
                    if isinstance(node, dict)
                    else node[int(part)]
                )
            schema, seen = node, seen + 1
        return schema if isinstance(schema, dict) else {}

    def _branches(self, api: str, schema: Any, depth: int = 0) -> Iterator[Schema]:
        """The schema and every `allOf`/`oneOf`/`anyOf` branch in it, resolved."""
        schema = self._resolve(api, schema)
        yield schema
        if depth < 8:
            for key in ("allOf", "oneOf", "anyOf"):
                for branch in schema.get(key, ()):
                    yield from self._branches(api, branch, depth + 1)

    def _enum_fields(self) -> set[str]:
        # A name counts only where every string property of that name is an enum: `name` or
        # `value` are enums in one schema and free text in many.
        enums: set[str] = set()
        free: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                properties = node.get("properties")
                for name, prop in properties.items() if isinstance(properties, dict) else ():
                    if isinstance(prop, dict) and prop.get("type") == "string":
                        (enums if prop.get("enum") else free).add(name)
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        for document in self._docs.values():
            walk(document.get("components", {}).get("schemas", {}))
        return enums - free


def _format_allowed(form: str, documented: set[str]) -> bool:
    """Whether a format class fits the documented formats (no documented format allows any)."""
    if not documented:
        return True
    kind = form.split(" (", 1)[0]
    return any(f in documented for f in _FORMATS.get(kind, ()))

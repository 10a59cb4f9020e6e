"""The summary schema as the model sees it, and the one check every model answer goes through.

The same JSON schema serves strict structured output (sent as `response_format`) and JSON mode (put
in the prompt); either way the answer is validated against the pydantic `Summary`, so a server
without strict mode cannot let a malformed summary through.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from pydantic import ValidationError

from app.summarize.schema import Summary

# Fields Docket fills itself after the model has answered; the model is not asked for them.
DOCKET_FIELDS = frozenset({"method", "verified", "notes", "summarized_in_parts"})

_NAMED = frozenset({"properties", "$defs"})
_DROPPED = frozenset({"default", "title"})
_CODE_FENCE = re.compile(r"\A\s*```(?:json)?\s*\n(?P<body>.*?)\n\s*```\s*\Z", re.S)


class InvalidAnswer(Exception):
    """The model answered, but not with a usable summary; the message says why, for the user."""


def strict_json_schema(schema: dict[str, Any], omit: frozenset[str] = DOCKET_FIELDS) -> dict[str, Any]:
    """`schema` made acceptable to strict structured output: every object closed
    (additionalProperties false) with all its properties required, no defaults, no titles, and the
    `omit` properties left out."""
    return _strict(schema, omit)


def _strict(node: Any, omit: frozenset[str]) -> Any:
    if isinstance(node, list):
        return [_strict(item, omit) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _strict(value, omit) for key, value in node.items() if key not in _NAMED | _DROPPED}
    # These map names to schemas: the names are kept even where one is literally "title".
    for key in _NAMED & node.keys():
        out[key] = {name: _strict(value, omit) for name, value in node[key].items() if name not in omit}
    if "properties" in node:
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out


@cache
def summary_schema() -> dict[str, Any]:
    return strict_json_schema(Summary.model_json_schema())


@cache
def summary_schema_text() -> str:
    return json.dumps(summary_schema(), separators=(",", ":"))


def parse_summary(content: str | None) -> Summary:
    """The model's answer as a `Summary`, or `InvalidAnswer` with a short reason."""
    if not content or not content.strip():
        raise InvalidAnswer("the answer was empty")
    fenced = _CODE_FENCE.match(content)  # some servers wrap JSON-mode answers in a Markdown fence
    text = fenced["body"] if fenced else content
    try:
        return Summary.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidAnswer(_describe(exc)) from exc


def _describe(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    if errors and errors[0]["type"] == "json_invalid":
        return "the answer was not valid JSON"
    shown = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}" for e in errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return f"the answer did not match the summary schema ({shown}{more})"

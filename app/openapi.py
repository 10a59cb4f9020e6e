"""The OpenAPI 3.1 description of the JSON API, served at /api/openapi.json."""

from __future__ import annotations

from functools import cache
from typing import Any

from app.summarize.schema import Summary

REF = "#/components/schemas/{model}"


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
DATETIME = {"type": "string", "format": "date-time"}
ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": STRING,
        "message": STRING,
        "fields": {"type": "object", "additionalProperties": STRING},
    },
}
CASE_BRIEF = {
    "type": "object",
    "required": ["id", "status", "title", "due_date", "source", "created_at", "url"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "status": {"type": "string", "enum": ["submitted", "processing", "completed", "failed"]},
        "step": _nullable(STRING),
        "title": STRING,
        "due_date": {"type": "string", "format": "date"},
        "source": {"type": "string", "enum": ["web", "api", "slack"]},
        "created_at": DATETIME,
        "processed_at": _nullable(DATETIME),
        "url": {"type": "string", "format": "uri"},
    },
}
FILE = {
    "type": "object",
    "required": ["id", "name", "status"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "name": STRING,
        "size": _nullable({"type": "integer"}),
        "content_type": _nullable(STRING),
        "sha256": _nullable(STRING),
        "status": {"type": "string", "enum": ["pending", "stored", "extracted", "unreadable"]},
        "status_reason": _nullable(STRING),
        "pages": _nullable({"type": "integer"}),
        "extraction_method": _nullable(STRING),
        "download_url": _nullable({"type": "string", "format": "uri"}),
    },
}


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=schema_name)}}},
    }


def _error(description: str) -> dict[str, Any]:
    return _json("Error", description)


CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": STRING}
FILE_ID = {"name": "file_id", "in": "path", "required": True, "schema": STRING}
NEW_CASE_FIELDS = {
    "title": {
        "type": "string",
        "maxLength": 200,
        "description": "Optional; the first line of the details is used when empty.",
    },
    "details": {"type": "string", "description": "Required, 1-20,000 characters."},
    "due_date": {
        "type": "string",
        "format": "date",
        "description": "YYYY-MM-DD; not in the past, at most 10 years ahead.",
    },
    "requester": {"type": "string", "description": "Optional: who asked."},
}


@cache
def openapi_document() -> dict[str, Any]:
    summary_schema = Summary.model_json_schema(ref_template=REF)
    components = dict(summary_schema.pop("$defs", {}))
    components["Summary"] = summary_schema
    components["Error"] = ERROR
    components["CaseBrief"] = CASE_BRIEF
    components["File"] = FILE
    components["Case"] = {
        "allOf": [
            {"$ref": REF.format(model="CaseBrief")},
            {
                "type": "object",
                "required": ["details", "attempts", "files", "events"],
                "properties": {
                    "details": STRING,
                    "started_at": _nullable(DATETIME),
                    "attempts": {"type": "integer", "minimum": 0},
                    "error": _nullable(STRING),
                    "files": {"type": "array", "items": {"$ref": REF.format(model="File")}},
                    "summary": _nullable({"$ref": REF.format(model="Summary")}),
                    "usage": _nullable(
                        {
                            "type": "object",
                            "properties": {
                                "model": STRING,
                                "prompt_tokens": _nullable({"type": "integer"}),
                                "completion_tokens": _nullable({"type": "integer"}),
                            },
                        }
                    ),
                    "events": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["at", "kind", "message"],
                            "properties": {"at": DATETIME, "kind": STRING, "message": STRING},
                        },
                    },
                },
            },
        ]
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Docket API",
            "version": "1.0.0",
            "description": "Create legal cases with attachments and read their AI summaries.",
        },
        "paths": {
            "/api/cases": {
                "post": {
                    "operationId": "createCase",
                    "summary": "Create a case; processing starts in the background.",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "description": "A repeat with the same key returns the same case; the same key with "
                            "a different body is refused with 409.",
                            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["details", "due_date"],
                                    "properties": {
                                        **NEW_CASE_FIELDS,
                                        "files": {
                                            "type": "array",
                                            "items": {"type": "string", "format": "binary"},
                                            "maxItems": 10,
                                        },
                                    },
                                }
                            },
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["details", "due_date"],
                                    "properties": NEW_CASE_FIELDS,
                                }
                            },
                        },
                    },
                    "responses": {
                        "202": _json("Case", "Created; processing has been queued."),
                        "200": _json("Case", "An idempotent repeat: the case created earlier."),
                        "400": _error("Malformed request."),
                        "409": _error("Idempotency-Key reused for a different request."),
                        "413": _error("Upload too large."),
                        "422": _error("Invalid input; `fields` names each refused field."),
                    },
                },
                "get": {
                    "operationId": "listCases",
                    "summary": "List cases, newest first.",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    ],
                    "responses": {
                        "200": {
                            "description": "Cases.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["cases", "limit", "offset"],
                                        "properties": {
                                            "cases": {
                                                "type": "array",
                                                "items": {"$ref": REF.format(model="CaseBrief")},
                                            },
                                            "limit": {"type": "integer"},
                                            "offset": {"type": "integer"},
                                        },
                                    }
                                }
                            },
                        },
                        "400": _error("Bad limit or offset."),
                    },
                },
            },
            "/api/cases/{case_id}": {
                "get": {
                    "operationId": "getCase",
                    "summary": "A case with its files, timeline and summary.",
                    "parameters": [CASE_ID],
                    "responses": {"200": _json("Case", "The case."), "404": _error("No such case.")},
                }
            },
            "/api/cases/{case_id}/retry": {
                "post": {
                    "operationId": "retryCase",
                    "summary": "Queue a failed case again.",
                    "parameters": [CASE_ID],
                    "responses": {
                        "202": _json("Case", "Queued again."),
                        "404": _error("No such case."),
                        "409": _error("The case is not failed."),
                    },
                }
            },
            "/api/cases/{case_id}/files/{file_id}": {
                "get": {
                    "operationId": "downloadFile",
                    "summary": "Download an attachment (always as an attachment, never inline).",
                    "parameters": [CASE_ID, FILE_ID],
                    "responses": {
                        "200": {"description": "The file.", "content": {"application/octet-stream": {}}},
                        "302": {"description": "Redirect to a short-lived download URL (S3 storage)."},
                        "404": _error("No such case or file."),
                    },
                }
            },
        },
        "components": {"schemas": components},
    }

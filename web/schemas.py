"""Request schemas of the mini-program JSON API and the H5 forms (pydantic v2), and the OpenAPI document.

Every body or form a view reads goes through :func:`parse` first: a field of the wrong type
(a list for an id, an integer beyond the database's range, a NUL byte in a name) is a 400 with
the API's error shape, never an exception deeper down. :func:`openapi_document` publishes the
same schemas at ``/api/openapi.json`` so a fuzzer (schemathesis, in the tests) can aim at them.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL byte")
    return value


Text = Annotated[str, Field(max_length=200), AfterValidator(_no_nul)]
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]  # a database id: within PostgreSQL's integer


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class LoginRequest(Request):
    """POST /api/mp/login: the code from the mini-program's ``wx.login()``."""

    code: Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_no_nul)]


class LinkRequest(Request):
    """POST /api/link and the H5 form /h5/link: link oneself to a retiree by name and ID number."""

    name: Annotated[str, Field(max_length=64), AfterValidator(_no_nul)] = ""
    id_number: Annotated[str, Field(max_length=32), AfterValidator(_no_nul)] = ""


class ChallengeRequest(Request):
    """POST /api/challenges: start a certification for one of the people one may certify."""

    retiree_id: RowId


class ContactForm(Request):
    """POST /h5/contact: a new phone number on file for a person one certifies for."""

    retiree_id: RowId
    phone: Annotated[str, Field(max_length=32), AfterValidator(_no_nul)] = ""


M = TypeVar("M", bound=Request)


class BadInput(ValueError):
    """The request does not fit its schema; ``fields`` names the fields at fault (for the logs)."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


def parse(model: type[M], data: Any) -> M:
    """``data`` (a JSON body or a form as a dict) as ``model``; BadInput when it does not fit."""
    if not isinstance(data, dict):
        raise BadInput(["<body>"])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadInput(sorted({".".join(str(p) for p in e["loc"]) or "<body>" for e in exc.errors()})) from None


# --- the OpenAPI document ------------------------------------------------------------------

ERRORS = {"400": "bad request", "401": "not logged in", "403": "not allowed", "404": "not found",
          "409": "conflict", "413": "too large", "415": "unsupported type", "429": "too many tries",
          "503": "a part of the system is down"}
ID_PARAM = {"type": "string", "maxLength": 64}


def _json_body(model: type[Request]) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}


def _op(summary: str, ok: str, body: dict | None = None, params: tuple[str, ...] | list[str] = (), secured: bool = True) -> dict:
    op: dict = {"summary": summary, "responses": {ok: {"description": "ok", "content": {"application/json": {
        "schema": {"type": "object"}}}}, **{code: {"description": words, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}} for code, words in ERRORS.items()}}}
    if body:
        op["requestBody"] = body
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": ID_PARAM} for p in params]
    if secured:
        op["security"] = [{"bearer": []}]
    return op


def openapi_document() -> dict:
    """OpenAPI 3.0 for the mini-program API (the H5 forms share LinkRequest and ContactForm)."""
    models = (LoginRequest, LinkRequest, ChallengeRequest, ContactForm)
    schemas = {m.__name__: m.model_json_schema(ref_template="#/components/schemas/{model}") for m in models}
    schemas["Error"] = {"type": "object", "required": ["error", "message"],
                        "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}
    video = {"required": True, "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                           for t in ("video/mp4", "video/quicktime", "video/webm")}}
    upload = _op("upload the recording", "201", video, ["challenge_id"])
    return {
        "openapi": "3.0.3",
        "info": {"title": "lifecert mini-program API", "version": "1"},
        "paths": {
            "/api/mp/login": {"post": _op("log in with a wx.login() code", "200", _json_body(LoginRequest),
                                          secured=False)},
            "/api/people": {"get": _op("the people one may certify", "200")},
            "/api/link": {"post": _op("link oneself by name and ID number", "200", _json_body(LinkRequest))},
            "/api/consent": {"post": _op("accept the face-data notice", "200")},
            "/api/challenges": {"post": _op("start a certification", "201", _json_body(ChallengeRequest))},
            "/api/uploads/{challenge_id}": {"put": upload, "post": upload},
            "/api/attempts/{attempt_id}/submit": {"post": _op("submit the recording", "202", params=["attempt_id"])},
            "/api/attempts/{attempt_id}": {"get": _op("where the attempt stands", "200", params=["attempt_id"])},
        },
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }

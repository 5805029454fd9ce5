"""A fake OpenAI-compatible (and Runware-style) HTTP server for the test-suite.

The ``openai`` SDK 3.x runs on HTTPX2, which ``respx`` cannot intercept, and worker
subprocesses only know ``OPENAI_BASE_URL``; a real loopback server covers both.

Usage::

    with FakeOpenAI() as server:
        client = openai.OpenAI(api_key="sk-test", base_url=server.base_url, max_retries=0)
        server.responder = lambda request: {"clusters": [...]}   # what the "model" answers
        server.fail_next("rate_limit")                           # one-shot fault for the next call
        ...
        assert server.request_errors == []                       # every request matched the OpenAPI schema

Endpoints: ``POST /v1/chat/completions``, ``POST /v1/images/generations``, ``GET /v1/models``
(and ``/v1/models/<id>``), a Runware-style ``POST /runware/v1`` and ``GET /files/<name>`` for the
images handed out as URLs. Requests are validated against the OpenAI OpenAPI description copied
next to this file (``openai-openapi-slim.json``); see ``README.md`` for the fault kinds.

Also runnable: ``python -m tests.fakes.openai_server --port 0`` prints ``READY <base_url>``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import io
import json
import re
import signal
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

SPEC_PATH = Path(__file__).with_name("openai-openapi-slim.json")
_SPEC_URI = "urn:openai-openapi-slim"

CHAT_PATH = "/v1/chat/completions"
IMAGES_PATH = "/v1/images/generations"
MODELS_PATH = "/v1/models"
RUNWARE_PATH = "/runware/v1"

#: Faults that replace the answer (or delay it, for ``slow``).
TRANSPORT_FAULTS = frozenset(
    {"slow", "rate_limit", "server_error", "timeout", "invalid_json", "insufficient_quota", "invalid_key"}
)
#: Faults that corrupt the message content of an otherwise valid chat completion.
CONTENT_FAULTS = frozenset({"bad_content_json", "schema_violation", "length"})
FAULT_KINDS = TRANSPORT_FAULTS | CONTENT_FAULTS
CAPABILITIES = ("json_schema", "json_object", "text")

Responder = Callable[[dict], "str | dict | list"]


# --------------------------------------------------------------------------- schema validation


@lru_cache(maxsize=1)
def _registry():
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    # OpenAPI 3.1 schemas are JSON Schema 2020-12; registering the whole document lets
    # ``$ref: #/components/schemas/...`` inside it resolve against the same resource.
    return Registry().with_resource(_SPEC_URI, Resource.from_contents(document, default_specification=DRAFT202012))


@cache
def _validator(name: str):
    from jsonschema import Draft202012Validator

    return Draft202012Validator({"$ref": f"{_SPEC_URI}#/components/schemas/{name}"}, registry=_registry())


def _explain(error: Any) -> list[Any]:
    """The errors worth showing for ``error``: for a failed oneOf/anyOf, those of the branch that was meant.

    The OpenAPI document picks a oneOf branch by a discriminator (``role``, ``type``); jsonschema ignores
    that and only says "not valid under any of the given schemas". Branches whose discriminator value
    did not match (an enum/const miss on a direct property) are dropped; if one branch is left, its
    errors are the real problem.
    """
    if not error.context:
        return [error]
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    meant = [subs for subs in branches.values()
             if not any(s.validator in ("enum", "const") and len(s.relative_path) == 1 for s in subs)]
    if len(meant) != 1:
        return [error]
    return [leaf for sub in meant[0] for leaf in _explain(sub)]


def _format_errors(errors: Iterable[Any], limit: int = 5) -> list[str]:
    messages = []
    leaves = [leaf for error in errors for leaf in _explain(error)]
    for error in sorted(leaves, key=lambda e: list(map(str, e.absolute_path)))[:limit]:
        where = "/".join(str(part) for part in error.absolute_path) or "<root>"
        messages.append(f"{where}: {error.message[:300]}")
    return messages


def schema_errors(name: str, instance: Any) -> list[str]:
    """Problems of ``instance`` against ``#/components/schemas/<name>`` of the OpenAI description ([] = valid)."""
    return _format_errors(_validator(name).iter_errors(instance))


def instance_errors(schema: dict, instance: Any) -> list[str]:
    """Problems of ``instance`` against a stand-alone JSON schema (e.g. a ``response_format`` schema)."""
    from jsonschema import Draft202012Validator

    return _format_errors(Draft202012Validator(schema).iter_errors(instance))


# --------------------------------------------------------------------------- request helpers for responders


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: keep the text ones
        return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def message_text(request: dict) -> str:
    """All message contents of a chat request, joined (what the prompt-token count is based on)."""
    return "\n".join(_content_text(m.get("content")) for m in request.get("messages") or [] if isinstance(m, dict))


def last_user_text(request: dict) -> str:
    """The text of the last ``user`` message of a chat request ("" if none)."""
    for message in reversed(request.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return _content_text(message.get("content"))
    return ""


def response_format_type(request: dict) -> str:
    """``text`` (also when absent), ``json_object`` or ``json_schema``."""
    response_format = request.get("response_format")
    return response_format.get("type", "text") if isinstance(response_format, dict) else "text"


def response_schema(request: dict) -> dict | None:
    """The JSON schema of a ``json_schema`` response format, else None."""
    if response_format_type(request) != "json_schema":
        return None
    schema = (request["response_format"].get("json_schema") or {}).get("schema")
    return schema if isinstance(schema, dict) else None


def count_tokens(text: str) -> int:
    """A rough token count: whitespace-separated words (good enough for usage/billing tests)."""
    return len(text.split())


# --------------------------------------------------------------------------- schema -> plausible instance


class _InstanceBuilder:
    """Builds a value satisfying a (structured-outputs style) JSON schema, using words of a text."""

    _FALLBACK_WORDS = ("keyword", "cluster", "topic", "search", "intent", "page")
    _MAX_DEPTH = 16

    def __init__(self, root: dict, text: str):
        self.root = root
        self.words = re.findall(r"[^\W_][\w'-]*", text) or list(self._FALLBACK_WORDS)
        self.cursor = 0

    def _take_words(self, count: int) -> str:
        # A moving window, so consecutive strings (array items, sibling fields) differ.
        picked = [self.words[(self.cursor + i) % len(self.words)] for i in range(count)]
        self.cursor += count
        return " ".join(picked)

    def _resolve(self, ref: str) -> dict:
        if not ref.startswith("#"):
            raise ValueError(f"only local $ref is supported, got {ref!r}")
        node: Any = self.root
        for part in ref.lstrip("#").split("/"):
            if part:
                node = node[unquote(part).replace("~1", "/").replace("~0", "~")]
        return node

    def build(self, schema: Any, index: int = 0, depth: int = 0) -> Any:
        if depth > self._MAX_DEPTH or schema is True or not isinstance(schema, dict):
            return self._take_words(2)
        if "$ref" in schema:
            merged = {**self._resolve(schema["$ref"]), **{k: v for k, v in schema.items() if k != "$ref"}}
            return self.build(merged, index, depth + 1)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            # The first value, except inside a uniqueItems array where items must differ.
            return schema["enum"][index % len(schema["enum"])]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [o for o in schema[key] if not (isinstance(o, dict) and o.get("type") == "null")]
                return self.build((options or schema[key])[0], index, depth + 1)
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = self._resolve(part["$ref"]) if isinstance(part, dict) and "$ref" in part else part
                for key, value in (part or {}).items():
                    if key == "properties":
                        merged["properties"] = {**merged.get("properties", {}), **value}
                    elif key == "required":
                        merged["required"] = [*merged.get("required", []), *value]
                    else:
                        merged.setdefault(key, value)
            return self.build(merged, index, depth + 1)

        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
        return getattr(self, f"_build_{kind}")(schema, index, depth)

    def _build_object(self, schema: dict, index: int, depth: int) -> dict:
        properties = schema.get("properties") or {}
        # Every property, not only the required ones: strict mode requires all of them anyway.
        value = {name: self.build(sub, 0, depth + 1) for name, sub in properties.items()}
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, dict):
            value[self._take_words(1)] = self.build(extra, 0, depth + 1)
        return value

    def _build_array(self, schema: dict, index: int, depth: int) -> list:
        minimum = schema.get("minItems", 0)
        count = max(minimum, 3)
        if "maxItems" in schema:
            count = min(count, schema["maxItems"])
        items = schema.get("items", {})
        prefix = schema.get("prefixItems") or []
        if schema.get("uniqueItems") and isinstance(items, dict) and "enum" in items:
            count = min(count, len(items["enum"]))
        return [
            self.build(prefix[i] if i < len(prefix) else items, i, depth + 1)
            for i in range(max(count, len(prefix)))
        ]

    def _build_string(self, schema: dict, index: int, depth: int) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            value = "2024-01-01T00:00:00Z"
        elif fmt == "date":
            value = "2024-01-01"
        elif fmt == "email":
            value = "user@example.com"
        elif fmt in ("uri", "url"):
            value = f"https://example.com/{self._take_words(1).lower()}"
        elif fmt == "uuid":
            value = str(uuid.uuid5(uuid.NAMESPACE_URL, f"fake-{self.cursor}-{index}"))
            self.cursor += 1
        else:
            value = self._take_words(3)
        value = value.ljust(schema.get("minLength", 0), "x")
        return value[: schema["maxLength"]] if "maxLength" in schema else value

    def _bounds(self, schema: dict, step: float) -> tuple[float | None, float | None]:
        low = schema.get("minimum")
        if "exclusiveMinimum" in schema:
            low = schema["exclusiveMinimum"] + step
        high = schema.get("maximum")
        if "exclusiveMaximum" in schema:
            high = schema["exclusiveMaximum"] - step
        return low, high

    def _build_integer(self, schema: dict, index: int, depth: int) -> int:
        low, high = self._bounds(schema, 1)
        base = low if low is not None else (1 if high is None or high >= 1 else high)
        value = int(base) + index
        return int(min(value, high)) if high is not None else value

    def _build_number(self, schema: dict, index: int, depth: int) -> float:
        low, high = self._bounds(schema, 0.01)
        base = low if low is not None else (0.5 if high is None or high >= 0.5 else high)
        value = float(base) + index
        return float(min(value, high)) if high is not None else value

    def _build_boolean(self, schema: dict, index: int, depth: int) -> bool:
        return True

    def _build_null(self, schema: dict, index: int, depth: int) -> None:
        return None


def build_instance(schema: dict, text: str = "") -> Any:
    """A value satisfying ``schema`` (objects, arrays, enums, bounded numbers, local ``$ref``/``$defs``).

    Strings are made of the words of ``text`` so answers are not empty; ``pattern`` is not honoured.
    """
    return _InstanceBuilder(schema, text).build(schema)


def schema_responder(request: dict) -> str | dict | list:
    """Default responder: an instance of the requested JSON schema, a small object, or short text."""
    text = last_user_text(request) or message_text(request)
    schema = response_schema(request)
    if schema is not None:
        return build_instance(schema, text)
    words = " ".join(text.split()[:12]) or "nothing"
    if response_format_type(request) == "json_object":
        return {"answer": words}
    return f"Fake answer about: {words}"


# --------------------------------------------------------------------------- content corruption


def _break_json(content: str) -> str:
    """Truncate JSON text so it no longer parses (an answer cut off mid-object)."""
    cut = content[: max(1, len(content) // 2)]
    try:
        json.loads(cut)
    except ValueError:
        return cut
    return '{"broken": '


def _violate(content: str, schema: dict | None) -> Any:
    """Valid JSON that breaks ``schema``: a required field dropped, else the wrong top-level type."""
    try:
        value = json.loads(content)
    except ValueError:
        value = {}
    if schema is None:
        return {}  # json_object mode has no schema: answer like a weak local model does
    required = schema.get("required") or []
    if isinstance(value, dict) and required:
        value.pop(required[0], None)
        return value
    return [value] if not isinstance(value, list) else {"unexpected": value}


def _wrap_in_prose(content: str) -> str:
    """What a model without JSON mode does: chat around a fenced JSON block."""
    try:
        parsed = json.loads(content)
    except ValueError:
        return content
    if not isinstance(parsed, (dict, list)):
        return content
    return f"Sure! Here it is:\n```json\n{json.dumps(parsed, indent=2)}\n```\nLet me know if you need anything else."


# --------------------------------------------------------------------------- images


def make_image(width: int, height: int, seed: str, fmt: str = "PNG") -> bytes:
    """Real image bytes (a solid colour derived from ``seed``) of the given size and format."""
    from PIL import Image

    colour = tuple(hashlib.sha256(seed.encode()).digest()[:3])
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format=fmt)
    return buffer.getvalue()


def _parse_size(size: str | None) -> tuple[int, int] | None:
    if size in (None, "auto"):
        return 1024, 1024
    match = re.fullmatch(r"(\d{1,5})x(\d{1,5})", size)
    if not match:
        return None
    width, height = int(match[1]), int(match[2])
    return (width, height) if 0 < width <= 4096 and 0 < height <= 4096 else None


_IMAGE_FORMATS = {"PNG": ("PNG", "png", "image/png"), "JPG": ("JPEG", "jpg", "image/jpeg"),
                  "JPEG": ("JPEG", "jpg", "image/jpeg"), "WEBP": ("WEBP", "webp", "image/webp")}
_CONTENT_TYPES = {ext: mime for _, ext, mime in _IMAGE_FORMATS.values()}


# --------------------------------------------------------------------------- records


class RecordedRequest(NamedTuple):
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]  # lower-cased: authorization, content-type, user-agent, idempotency-key, x-stainless-*
    json: Any  # parsed body; None for GET or an unparsable body


class RecordedResponse(NamedTuple):
    """One answer the server sent (None body for the ``timeout`` fault, which never answers)."""

    path: str
    status: int
    headers: dict[str, str]
    json: Any  # parsed JSON body, or the raw bytes when it was not JSON


@dataclass
class Fault:
    """A queued one-shot fault (see :meth:`FakeOpenAI.fail_next`)."""

    kind: str
    times: int = 1
    path: str | None = None
    params: dict = field(default_factory=dict)

    def applies_to(self, path: str) -> bool:
        if self.path is not None and self.path != path:
            return False
        return path == CHAT_PATH or self.kind not in CONTENT_FAULTS


class _Reply(Exception):
    """Raised inside a handler to send a finished answer (keeps the routing code flat)."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None, *, raw: bytes | None = None,
                 content_type: str = "application/json"):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}
        self.raw, self.content_type = raw, content_type


class _Hangup(Exception):
    """Raised to drop the connection without answering (the ``timeout`` fault)."""


def _openai_error(status: int, message: str, type_: str, code: str | None = None, param: str | None = None,
                  headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(status, {"error": {"message": message, "type": type_, "param": param, "code": code}}, headers)


def _runware_error(status: int, code: str, message: str, parameter: str | None = None,
                   task: dict | None = None, headers: dict[str, str] | None = None) -> _Reply:
    error = {"code": code, "message": message}
    if parameter:
        error["parameter"] = parameter
    if task:
        error.update({k: task[k] for k in ("taskType", "taskUUID") if isinstance(task.get(k), str)})
    return _Reply(status, {"errors": [error]}, headers)


# --------------------------------------------------------------------------- the server


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # FakeOpenAI.stop() wakes and joins the handlers itself
    allow_reuse_address = True
    request_queue_size = 128  # the default backlog of 5 stalls bursts from parallel workers

    def __init__(self, address, handler, fake: FakeOpenAI):
        self.fake = fake
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API (the SDK pools connections)
    server_version = "FakeOpenAI/1.0"
    timeout = 60  # an idle keep-alive connection frees its thread eventually even without stop()

    def setup(self):
        super().setup()
        self.server.fake._connection_opened(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.fake._connection_closed(self.connection)

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        if self.server.fake.verbose:
            super().log_message(format, *args)

    def do_GET(self):  # noqa: N802 - stdlib naming
        self.server.fake._handle(self, "GET")

    def do_POST(self):  # noqa: N802
        self.server.fake._handle(self, "POST")

    def do_PUT(self):  # noqa: N802
        self.server.fake._handle(self, "PUT")

    def do_DELETE(self):  # noqa: N802
        self.server.fake._handle(self, "DELETE")


_RECORDED_HEADERS = ("authorization", "content-type", "user-agent", "idempotency-key", "openai-organization",
                     "openai-project")


class FakeOpenAI:
    """An OpenAI-compatible server on ``127.0.0.1:<ephemeral port>`` with pluggable answers and faults.

    Configuration attributes (constructor keywords of the same name; :meth:`reset` restores them):

    - ``responder``: ``callable(request_json) -> str | dict | list``; a non-str answer is JSON-encoded as the
      message content. Default :func:`schema_responder`.
    - ``supports``: ``"json_schema"`` (all formats), ``"json_object"`` (``json_schema`` → HTTP 500, like
      llama-cpp-python) or ``"text"`` (any non-text ``response_format`` → 400; JSON answers come wrapped in prose).
    - ``invalid_keys``: API keys answered with 401 ``invalid_api_key``.
    - ``mode``: a fault kind applied to *every* request (None = healthy); ``mode_params`` its parameters.
    - ``slow_seconds``, ``retry_after``, ``hang_seconds``: defaults for the ``slow``, ``rate_limit`` and
      ``timeout`` faults.
    - ``models``: ids listed by ``GET /v1/models``.
    - ``runware_check_dimensions``: Runware width/height must be multiples of 64 within 128..2048.
    """

    responder: Responder
    supports: str
    invalid_keys: set[str]
    mode: str | None
    mode_params: dict
    slow_seconds: float
    retry_after: float
    hang_seconds: float
    models: list[str]
    runware_check_dimensions: bool

    def __init__(self, *, responder: Responder | None = None, supports: str = "json_schema",
                 invalid_keys: Iterable[str] = (), mode: str | None = None, mode_params: dict | None = None,
                 slow_seconds: float = 1.0, retry_after: float = 1, hang_seconds: float = 30.0,
                 models: Iterable[str] = ("gpt-4o-mini", "gpt-4o", "gpt-image-1", "dall-e-3"),
                 runware_check_dimensions: bool = True, port: int = 0, verbose: bool = False):
        self._config = {
            "responder": responder or schema_responder, "supports": supports, "invalid_keys": set(invalid_keys),
            "mode": mode, "mode_params": dict(mode_params or {}), "slow_seconds": slow_seconds,
            "retry_after": retry_after, "hang_seconds": hang_seconds, "models": list(models),
            "runware_check_dimensions": runware_check_dimensions,
        }
        self._check_capability(supports)
        if mode is not None:
            self._check_kind(mode)
        self.verbose = verbose
        self._requested_port = port
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._request_counter = 0
        self._apply_config()
        self._clear_records()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeOpenAI:
        """Bind the port and serve in a background thread."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", self._requested_port), _Handler, self)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"FakeOpenAI:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: wake hanging/slow handlers, close open connections, join the threads."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        with self._lock:
            connections = dict(self._connections)
        for sock in connections:
            # Idle keep-alive handlers block in recv(); shutting the socket down wakes them.
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for thread in connections.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
        self._httpd = self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeOpenAI is not started")
        return self._httpd.server_address[1]

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no path)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI base URL: ``http://127.0.0.1:PORT/v1``."""
        return f"{self.root_url}/v1"

    @property
    def runware_url(self) -> str:
        """The Runware-style endpoint: ``http://127.0.0.1:PORT/runware/v1``."""
        return f"{self.root_url}{RUNWARE_PATH}"

    def env(self, api_key: str = "sk-test") -> dict[str, str]:
        """Environment variables pointing an ``openai`` client (e.g. in a worker subprocess) here."""
        return {"OPENAI_BASE_URL": self.base_url, "OPENAI_API_KEY": api_key}

    # ------------------------------------------------------------------ configuration and records

    def _apply_config(self) -> None:
        config = copy.copy(self._config)
        config["invalid_keys"] = set(config["invalid_keys"])
        config["models"] = list(config["models"])
        config["mode_params"] = dict(config["mode_params"])
        self.__dict__.update(config)

    def _clear_records(self) -> None:
        with self._lock:
            self.requests: list[RecordedRequest] = []
            self.responses: list[RecordedResponse] = []
            self.request_errors: list[str] = []
            self.counts: Counter[str] = Counter()
            self.files: dict[str, bytes] = {}
            self._faults: list[Fault] = []

    def reset(self) -> None:
        """Forget requests, responses, errors, files and queued faults; restore the constructor's configuration."""
        with self._lock:
            self._clear_records()
            self._apply_config()

    @staticmethod
    def _check_kind(kind: str) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")

    @staticmethod
    def _check_capability(supports: str) -> None:
        if supports not in CAPABILITIES:
            raise ValueError(f"supports must be one of {CAPABILITIES}, got {supports!r}")

    def fail_next(self, kind: str, times: int = 1, *, path: str | None = None, **params: Any) -> None:
        """Queue a fault for the next ``times`` matching requests, before the normal answer.

        ``path`` limits it to one endpoint (e.g. ``CHAT_PATH``); content faults only ever match chat.
        Parameters: ``slow``/``timeout``: ``seconds``; ``rate_limit``: ``retry_after``;
        ``server_error``: ``status`` (500); ``invalid_json``: ``content_type`` (application/json).
        """
        self._check_kind(kind)
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(Fault(kind, times, path, params))

    @property
    def pending_faults(self) -> list[Fault]:
        """Queued faults not yet used up."""
        with self._lock:
            return [copy.copy(f) for f in self._faults]

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests to one path (e.g. ``CHAT_PATH``)."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.applies_to(path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return Fault(fault.kind, 1, fault.path, dict(fault.params))
            if self.mode is not None:
                persistent = Fault(self.mode, 1, None, dict(self.mode_params))
                if persistent.applies_to(path):
                    return persistent
        return None

    def _connection_opened(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections[sock] = threading.current_thread()

    def _connection_closed(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.pop(sock, None)

    # ------------------------------------------------------------------ HTTP plumbing

    @staticmethod
    def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    handler.rfile.readline()
                    return b"".join(chunks)
                chunks.append(handler.rfile.read(size))
                handler.rfile.readline()
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length else b""

    def _send(self, handler: BaseHTTPRequestHandler, path: str, request_id: str, reply: _Reply) -> None:
        if reply.raw is not None:
            payload, recorded = reply.raw, reply.raw
        else:
            payload, recorded = json.dumps(reply.body).encode(), reply.body
        headers = {"x-request-id": request_id, "openai-processing-ms": "1", **reply.headers}
        with self._lock:
            self.responses.append(RecordedResponse(path, reply.status, dict(headers), recorded))
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            handler.close_connection = True  # the client gave up (timed out) first

    def _wait(self, seconds: float) -> bool:
        """Sleep, but wake at once when the server stops; True if it is stopping."""
        return self._stopping.wait(max(0.0, float(seconds)))

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        path = urlsplit(handler.path).path.rstrip("/") or "/"
        with self._lock:
            self._request_counter += 1
            request_id = f"req_{self._request_counter}"
            self.counts[path] += 1
        raw = self._read_body(handler)
        body: Any = None
        body_error = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError as exc:
                body_error = f"{path}: body is not JSON ({exc})"
        headers = {k.lower(): v for k, v in handler.headers.items()
                   if k.lower() in _RECORDED_HEADERS or k.lower().startswith("x-stainless")}
        with self._lock:
            self.requests.append(RecordedRequest(path, headers, body))
        try:
            if body_error:
                self._record_error(body_error)
                family = "runware" if path == RUNWARE_PATH else "openai"
                raise self._invalid(family, "We could not parse the JSON body of your request.")
            self._route(handler, method, path, body)
            raise _openai_error(404, f"Invalid URL ({method} {path})", "invalid_request_error")
        except _Reply as reply:
            self._send(handler, path, request_id, reply)
        except _Hangup:
            with self._lock:
                self.responses.append(RecordedResponse(path, 0, {}, None))
            handler.close_connection = True
        except Exception as exc:  # a bug in the fake or a responder: make it visible, not a hung test
            self._record_error(f"{path}: fake server error {type(exc).__name__}: {exc}")
            self._send(handler, path, request_id,
                       _openai_error(500, f"fake server crashed: {type(exc).__name__}: {exc}", "server_error"))

    def _record_error(self, message: str) -> None:
        with self._lock:
            self.request_errors.append(message)

    @staticmethod
    def _invalid(family: str, message: str, param: str | None = None, code: str | None = None) -> _Reply:
        if family == "runware":
            return _runware_error(400, code or "invalidParameter", message, param)
        return _openai_error(400, message, "invalid_request_error", code, param)

    def _route(self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any) -> None:
        if method == "GET" and path.startswith("/files/"):
            self._serve_file(path)
        routes = {("POST", CHAT_PATH): self._chat, ("POST", IMAGES_PATH): self._images,
                  ("GET", MODELS_PATH): self._models, ("POST", RUNWARE_PATH): self._runware}
        if method == "GET" and path.startswith(MODELS_PATH + "/"):
            target = self._model
        else:
            target = routes.get((method, path))
        if target is None:
            return
        family = "runware" if path == RUNWARE_PATH else "openai"
        self._authorise(handler, family, body)
        target(path, body)

    def _serve_file(self, path: str) -> None:
        name = path[len("/files/"):]
        with self._lock:
            data = self.files.get(name)
        if data is None:
            raise _openai_error(404, f"No such file: {name}", "invalid_request_error")
        raise _Reply(200, None, raw=data, content_type=_CONTENT_TYPES.get(name.rsplit(".", 1)[-1], "image/png"))

    def _authorise(self, handler: BaseHTTPRequestHandler, family: str, body: Any) -> None:
        authorization = handler.headers.get("Authorization", "")
        key = authorization[7:].strip() if authorization.startswith("Bearer ") else ""
        if not key and family == "runware" and isinstance(body, list):
            # Runware also accepts an {"taskType": "authentication", "apiKey": ...} task in the array.
            key = next((t.get("apiKey", "") for t in body if isinstance(t, dict)
                        and t.get("taskType") == "authentication"), "")
        if not key:
            if family == "runware":
                raise _runware_error(401, "missingApiKey", "Missing API key.", "apiKey")
            raise _openai_error(401, "You didn't provide an API key. You need to provide your API key in an "
                                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                                "invalid_request_error")
        if key in self.invalid_keys:
            raise self._invalid_key_reply(family, key)

    @staticmethod
    def _invalid_key_reply(family: str, key: str) -> _Reply:
        if family == "runware":
            return _runware_error(401, "invalidApiKey", "Invalid API key.", "apiKey")
        shown = f"{key[:3]}*****{key[-4:]}" if len(key) > 8 else "*****"
        return _openai_error(401, f"Incorrect API key provided: {shown}. You can find your API key at "
                             "https://platform.openai.com/account/api-keys.", "invalid_request_error",
                             "invalid_api_key")

    # ------------------------------------------------------------------ faults

    def _apply_fault(self, fault: Fault | None, family: str, model: str = "") -> str | None:
        """Raise the reply of a transport fault (or sleep, for ``slow``); return a content fault's kind."""
        if fault is None:
            return None
        kind, params = fault.kind, fault.params
        if kind in CONTENT_FAULTS:
            return kind
        if kind == "slow":
            if self._wait(params.get("seconds", self.slow_seconds)):
                raise _Hangup
            return None
        if kind == "timeout":
            # Accept, then never answer: the client's timeout fires first; stop() wakes us.
            self._wait(params.get("seconds", self.hang_seconds))
            raise _Hangup
        if kind == "invalid_json":
            raise _Reply(200, None, raw=b'{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"mes',
                         content_type=params.get("content_type", "application/json"))
        if kind == "invalid_key":
            raise self._invalid_key_reply(family, "sk-revoked-key")
        if kind == "rate_limit":
            retry_after = params.get("retry_after", self.retry_after)
            headers = {"Retry-After": f"{retry_after:g}", "x-ratelimit-limit-requests": "60",
                       "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": f"{retry_after:g}s"}
            if family == "runware":
                raise _runware_error(429, "rateLimitExceeded", "Too many requests.", headers=headers)
            raise _openai_error(429, f"Rate limit reached for {model or 'requests'}: Limit 60, Used 60. "
                                f"Please try again in {retry_after:g}s.", "rate_limit_exceeded",
                                "rate_limit_exceeded", headers=headers)
        if kind == "insufficient_quota":
            if family == "runware":
                raise _runware_error(402, "insufficientCredits", "Insufficient credits to perform this task.")
            raise _openai_error(429, "You exceeded your current quota, please check your plan and billing details.",
                                "insufficient_quota", "insufficient_quota")
        if kind == "server_error":
            status = int(params.get("status", 500))
            if family == "runware":
                raise _runware_error(status, "internalServerError", "Internal server error.")
            raise _openai_error(status, "The server had an error while processing your request. Sorry about that!",
                                "server_error")
        raise AssertionError(f"unhandled fault {kind}")  # pragma: no cover - FAULT_KINDS is checked on input

    # ------------------------------------------------------------------ OpenAI endpoints

    def _validate(self, name: str, path: str, body: Any) -> None:
        problems = schema_errors(name, body)
        if problems:
            self._record_error(f"{path}: request does not match {name}: " + "; ".join(problems))
            raise self._invalid("openai", "Invalid request: " + "; ".join(problems))

    def _chat(self, path: str, body: Any) -> None:
        self._validate("CreateChatCompletionRequest", path, body)
        format_type = response_format_type(body)
        if self.supports == "json_object" and format_type == "json_schema":
            # llama-cpp-python's server knows only text/json_object and crashes on json_schema.
            raise _openai_error(500, "Internal Server Error: response_format type 'json_schema' is not supported",
                                "server_error")
        if self.supports == "text" and format_type != "text":
            raise _openai_error(400, f"response_format type '{format_type}' is not supported by this model",
                                "invalid_request_error", param="response_format")
        content_fault = self._apply_fault(self._take_fault(path), "openai", body["model"])

        answer = self.responder(body)
        content = answer if isinstance(answer, str) else json.dumps(answer)
        finish_reason = "stop"
        if content_fault == "bad_content_json":
            content = _break_json(content)
        elif content_fault == "schema_violation":
            content = json.dumps(_violate(content, response_schema(body)))
        elif content_fault == "length":
            content, finish_reason = content[: max(1, len(content) // 2)], "length"
        if self.supports == "text":
            content = _wrap_in_prose(content)

        prompt_tokens = max(1, count_tokens(message_text(body)))
        completion_tokens = max(1, count_tokens(content))
        choices = [{"index": i, "message": {"role": "assistant", "content": content, "refusal": None,
                                            "annotations": []},
                    "logprobs": None, "finish_reason": finish_reason}
                   for i in range(body.get("n") or 1)]
        raise _Reply(200, {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"], "choices": choices, "system_fingerprint": "fp_fake",
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        })

    def _images(self, path: str, body: Any) -> None:
        self._validate("CreateImageRequest", path, body)
        model = body.get("model") or "dall-e-2"
        gpt_image = model.startswith("gpt-image")
        if gpt_image and "response_format" in body:
            # The real API rejects it: GPT image models always answer b64_json.
            self._record_error(f"{path}: response_format sent to {model}")
            raise self._invalid("openai", "Unknown parameter: 'response_format'.", "response_format",
                                "unknown_parameter")
        size = _parse_size(body.get("size"))
        if size is None:
            raise self._invalid("openai", f"Invalid size {body.get('size')!r}.", "size", "invalid_value")
        self._apply_fault(self._take_fault(path), "openai", model)

        output = "b64_json" if gpt_image else body.get("response_format") or "url"
        fmt, ext, _ = _IMAGE_FORMATS.get(str(body.get("output_format", "png")).upper(), _IMAGE_FORMATS["PNG"])
        data = []
        for index in range(body.get("n") or 1):
            image = make_image(*size, f"{body['prompt']}#{index}", fmt)
            if output == "b64_json":
                item = {"b64_json": base64.b64encode(image).decode()}
            else:
                name = f"img-{uuid.uuid4().hex}.{ext}"
                with self._lock:
                    self.files[name] = image
                item = {"url": f"{self.root_url}/files/{name}"}
            if model == "dall-e-3":
                item["revised_prompt"] = body["prompt"]
            data.append(item)
        answer: dict[str, Any] = {"created": int(time.time()), "data": data}
        if gpt_image:
            prompt_tokens = max(1, count_tokens(body["prompt"]))
            answer.update({"background": "opaque", "output_format": ext if ext != "jpg" else "jpeg",
                           "usage": {"input_tokens": prompt_tokens, "output_tokens": 272 * len(data),
                                     "total_tokens": prompt_tokens + 272 * len(data),
                                     "input_tokens_details": {"text_tokens": prompt_tokens, "image_tokens": 0}}})
            if f"{size[0]}x{size[1]}" in ("1024x1024", "1024x1536", "1536x1024"):
                answer["size"] = f"{size[0]}x{size[1]}"
            if body.get("quality") in ("low", "medium", "high"):
                answer["quality"] = body["quality"]
        raise _Reply(200, answer)

    def _models(self, path: str, body: Any) -> None:
        self._apply_fault(self._take_fault(path), "openai")
        raise _Reply(200, {"object": "list", "data": [self._model_object(m) for m in self.models]})

    def _model(self, path: str, body: Any) -> None:
        model_id = unquote(path[len(MODELS_PATH) + 1:])
        self._apply_fault(self._take_fault(path), "openai")
        if model_id not in self.models:
            raise _openai_error(404, f"The model '{model_id}' does not exist", "invalid_request_error",
                                "model_not_found", "model")
        raise _Reply(200, self._model_object(model_id))

    @staticmethod
    def _model_object(model_id: str) -> dict:
        return {"id": model_id, "object": "model", "created": 1700000000, "owned_by": "system"}

    # ------------------------------------------------------------------ Runware

    def _runware_task_problem(self, task: Any) -> tuple[str, str] | None:
        """(parameter, message) of the first problem of an imageInference task, or None."""
        if not isinstance(task, dict):
            return "task", "Each task must be an object."
        checks = [
            ("taskUUID", isinstance(task.get("taskUUID"), str) and _is_uuid(task["taskUUID"]),
             "taskUUID must be a UUID v4 string."),
            ("positivePrompt", isinstance(task.get("positivePrompt"), str)
             and 2 <= len(task["positivePrompt"]) <= 3000, "positivePrompt must be 2..3000 characters."),
            ("model", isinstance(task.get("model"), str) and bool(task["model"]), "model is required."),
            ("numberResults", task.get("numberResults", 1) in range(1, 21), "numberResults must be 1..20."),
            ("outputType", task.get("outputType", "URL") in ("URL", "base64Data", "dataURI"),
             "outputType must be URL, base64Data or dataURI."),
            ("outputFormat", str(task.get("outputFormat", "PNG")).upper() in _IMAGE_FORMATS,
             "outputFormat must be PNG, JPG or WEBP."),
        ]
        for name in ("width", "height"):
            value = task.get(name)
            ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
            if ok and self.runware_check_dimensions:
                ok = value % 64 == 0 and 128 <= value <= 2048
            checks.append((name, ok, f"{name} must be an integer multiple of 64 within 128..2048."))
        return next(((name, message) for name, ok, message in checks if not ok), None)

    def _runware(self, path: str, body: Any) -> None:
        if not isinstance(body, list) or not body:
            self._record_error(f"{path}: body must be a non-empty JSON array of tasks")
            raise self._invalid("runware", "The request body must be an array of tasks.", "body")
        tasks = [t for t in body if not (isinstance(t, dict) and t.get("taskType") == "authentication")]
        for task in tasks:
            if not isinstance(task, dict) or task.get("taskType") != "imageInference":
                self._record_error(f"{path}: unsupported taskType {task!r:.80}")
                raise _runware_error(400, "unsupportedTaskType", "Only imageInference is supported by the fake.",
                                     "taskType", task if isinstance(task, dict) else None)
            problem = self._runware_task_problem(task)
            if problem:
                self._record_error(f"{path}: {problem[0]}: {problem[1]}")
                raise _runware_error(400, "invalidParameter", problem[1], problem[0], task)
        self._apply_fault(self._take_fault(path), "runware")

        data = []
        for task in tasks:
            fmt, ext, mime = _IMAGE_FORMATS[str(task.get("outputFormat", "PNG")).upper()]
            for index in range(task.get("numberResults", 1)):
                image_uuid = str(uuid.uuid4())
                image = make_image(task["width"], task["height"], f"{task['positivePrompt']}#{index}", fmt)
                item: dict[str, Any] = {"taskType": "imageInference", "taskUUID": task["taskUUID"],
                                        "imageUUID": image_uuid, "seed": int(hashlib.sha256(
                                            image_uuid.encode()).hexdigest()[:8], 16)}
                output = task.get("outputType", "URL")
                if output == "URL":
                    with self._lock:
                        self.files[f"{image_uuid}.{ext}"] = image
                    item["imageURL"] = f"{self.root_url}/files/{image_uuid}.{ext}"
                elif output == "base64Data":
                    item["imageBase64Data"] = base64.b64encode(image).decode()
                else:
                    item["imageDataURI"] = f"data:{mime};base64,{base64.b64encode(image).decode()}"
                if task.get("includeCost"):
                    item["cost"] = 0.0013
                data.append(item)
        raise _Reply(200, {"data": data})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- script entry point


def main(argv: list[str] | None = None) -> int:
    """Run a fake server until SIGTERM/SIGINT; print ``READY <base_url>`` once it listens."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 = an ephemeral port")
    parser.add_argument("--supports", choices=CAPABILITIES, default="json_schema")
    parser.add_argument("--mode", choices=sorted(FAULT_KINDS), default=None, help="a fault for every request")
    parser.add_argument("--invalid-key", action="append", default=[], help="an API key to answer with 401")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with FakeOpenAI(port=args.port, supports=args.supports, mode=args.mode, invalid_keys=args.invalid_key,
                    verbose=args.verbose) as server:
        print(f"READY {server.base_url}", flush=True)
        while not stop.wait(0.2):  # a timed wait so the signal handler gets to run promptly
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

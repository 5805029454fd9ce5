"""JSON errors for the API: ``{"error", "code", "fields"?}``, never an HTML page or a 500 body."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class ApiError(Exception):
    """An error the API answers with; raised anywhere a request is handled."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields

    def response(self):
        """The Flask response for this error."""
        body = {"error": self.message, "code": self.code}
        if self.fields:
            body["fields"] = self.fields
        return jsonify(body), self.status


def validation_error(fields: dict, message: str = "Invalid input") -> ApiError:
    """A 400 validation_error naming each bad field."""
    return ApiError(400, "validation_error", message, fields)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register_error_handlers(app: Flask) -> None:
    """JSON errors under /api/, friendly pages elsewhere."""

    @app.errorhandler(ApiError)
    def handle_api_error(err: ApiError):
        return err.response()

    @app.errorhandler(CSRFError)
    def handle_csrf(err: CSRFError):
        if _wants_json():
            return jsonify(error=f"CSRF check failed: {err.description}. Send the page's token in X-CSRFToken.",
                           code="csrf_failed"), 400
        return render_template("error.html", status=400,
                               message="Your session expired or the form is stale. Reload the page and try again."), 400

    @app.errorhandler(HTTPException)
    def handle_http(err: HTTPException):
        if _wants_json():
            message = err.description or err.name
            if err.code == 413:
                limit_mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
                message = f"Upload too large: the limit is {limit_mb} MB"
            code = _HTTP_CODES.get(err.code or 500, "http_error")
            return jsonify(error=message, code=code), err.code
        return render_template("error.html", status=err.code, message=err.description), err.code

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return jsonify(error="Internal server error", code="internal_error"), 500
        return render_template("error.html", status=500, message="Something went wrong on our side."), 500

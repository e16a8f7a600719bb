"""Errors the agent runtime raises for a request it cannot serve as asked (owner `request`)."""

from __future__ import annotations

from clawgate.errors import ClawgateError, NotFoundError


class RequestError(ClawgateError):
    owner = "request"
    code = "request.invalid"


class NotFound(NotFoundError):
    owner = "request"
    code = "request.not_found"


class ShuttingDown(ClawgateError):
    owner = "runtime"
    code = "runtime.shutdown"

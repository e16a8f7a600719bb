"""Exceptions while talking to a provider → Failure, and `IOErrors`, the one exception-mapping context manager
every I/O point of the executor runs inside (like httpx's `map_httpcore_exceptions`): aiohttp, asyncio and OS
errors leave it as `CallFailed(failure)`, classified for the phase the call was in."""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from types import TracebackType
from typing import Any

import aiohttp

from clawgate.failures.classify.answers import make, snippet, who
from clawgate.failures.classify.families import LOCAL, family
from clawgate.failures.failure import Failure

_TIMEOUT_WHAT = {
    "connect": "did not accept a connection before the connect timeout fired",
    "first_byte": "sent no response before the first-byte timeout fired",
    "idle": "sent nothing for longer than the stream idle timeout",
    "total": "did not finish before the total request timeout fired",
}
_BEFORE_RESPONSE = frozenset({"connect", "first_byte", "request", "send"})
_RESET_ERRNOS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})
_UNREACHABLE_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL})


def _exc_text(exc: BaseException) -> str:
    inner = getattr(exc, "os_error", None)
    text = str(inner) if inner is not None else str(exc)
    text = snippet(text) or ""
    return text or type(exc).__name__


def classify_exception(
    exc: BaseException, *, provider: str, host: str | None, phase: str, model: str | None = None
) -> Failure:
    """Classify an aiohttp/asyncio failure while calling a provider.

    `phase` is where it happened: "connect", "first_byte" (waiting for the response), "idle" (between
    stream chunks), "total", or "stream"/"body" (reading the response body).
    """
    fam = family(provider, host)
    name = who(provider, host)
    detail = _exc_text(exc)
    kw: dict[str, Any] = {"provider": provider, "host": host, "model": model}
    os_err: BaseException | None = (
        getattr(exc, "os_error", None) if isinstance(exc, aiohttp.ClientOSError) else None
    )
    cause = os_err or exc
    in_stream = phase not in _BEFORE_RESPONSE and phase != "total"

    if isinstance(exc, asyncio.CancelledError):
        return make("runtime.cancelled", f"The call to {name} was cancelled.", **kw)
    if isinstance(exc, aiohttp.ClientConnectorDNSError) or isinstance(cause, socket.gaierror):
        return make(
            "network.dns",
            f"Could not resolve the host name {host or '(unknown)'} for {provider} (DNS): {detail}.",
            **kw,
        )
    if isinstance(exc, aiohttp.ClientSSLError | aiohttp.ServerFingerprintMismatch) or isinstance(
        cause, ssl.SSLError
    ):
        cert = isinstance(cause, ssl.SSLCertVerificationError) or isinstance(
            exc, aiohttp.ClientConnectorCertificateError
        )
        what = "its TLS certificate could not be verified" if cert else "the TLS handshake failed"
        return make("network.tls", f"Could not reach {name} securely: {what} ({detail}).", **kw)
    if isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        return make(
            "network.connect", f"Could not reach {name} through the configured proxy: {detail}.", **kw
        )
    if isinstance(exc, TimeoutError):  # asyncio.TimeoutError and aiohttp's ServerTimeoutError family
        which = phase if phase in _TIMEOUT_WHAT else "total"
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            which = "connect"
        elif isinstance(exc, aiohttp.SocketTimeoutError) and which not in ("first_byte", "idle"):
            which = "idle" if in_stream else "first_byte"
        return make(
            "network.timeout",
            f"{name} {_TIMEOUT_WHAT[which]} ({which} timeout).",
            phase=which,
            **kw,
        )
    if isinstance(exc, aiohttp.ClientPayloadError) or (
        isinstance(exc, aiohttp.ServerDisconnectedError) and phase not in _BEFORE_RESPONSE
    ):
        return make(
            "upstream.stream_cut",
            f"{name} cut the response off before it was complete ({detail}).",
            **kw,
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return make("network.reset", f"{name} closed the connection before answering ({detail}).", **kw)
    err_no = getattr(cause, "errno", None)
    if isinstance(cause, ConnectionRefusedError) or err_no == errno.ECONNREFUSED:
        extra = " — is the local server running?" if fam in LOCAL else ""
        return make("network.connect", f"{name} refused the connection{extra} ({detail}).", **kw)
    if (
        isinstance(cause, ConnectionResetError | BrokenPipeError | ConnectionAbortedError)
        or err_no in _RESET_ERRNOS
    ):
        if in_stream:
            return make(
                "upstream.stream_cut",
                f"{name} reset the connection in the middle of the response ({detail}).",
                **kw,
            )
        return make("network.reset", f"{name} reset the connection ({detail}).", **kw)
    if err_no in _UNREACHABLE_ERRNOS:
        return make("network.connect", f"{name} is unreachable from this machine ({detail}).", **kw)
    if isinstance(exc, aiohttp.InvalidURL):
        return make(
            "config.invalid_value", f"The base URL for {provider} is not a valid URL ({detail}).", **kw
        )
    if isinstance(exc, aiohttp.ClientConnectionError | OSError):
        return make("network.connect", f"Could not connect to {name} ({detail}).", **kw)
    if isinstance(exc, aiohttp.ClientError):
        return make(
            "upstream.bad_response", f"{name} sent a response clawgate could not read ({detail}).", **kw
        )
    return make(
        "runtime.internal",
        f"The call to {name} failed inside clawgate ({type(exc).__name__}: {detail}).",
        **kw,
    )


class CallFailed(Exception):
    """A call failed; `failure` says how (raised by `IOErrors` and by the executor's own checks)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


_MAPPED = (TimeoutError, aiohttp.ClientError, OSError)


class IOErrors:
    """`with io:` around an I/O step: an aiohttp/asyncio/OS error inside becomes `CallFailed` with the
    Failure for the current `phase` (connect | first_byte | idle | total | body). One instance per try; set
    `phase` as the exchange moves on. Cheap to enter (a plain class, no generator).

    `session`, once set, is the connection pool the try uses: an error that comes after it was closed (the command
    or gateway closing it under an answer still in flight) is clawgate's own doing, not the provider's answer, and
    is `runtime.cancelled` (which leaves health alone)."""

    __slots__ = ("deadline", "host", "model", "phase", "provider", "session")

    def __init__(self, provider: str, host: str | None, model: str | None, phase: str = "connect") -> None:
        self.provider = provider
        self.host = host
        self.model = model
        self.phase = phase
        # the try's timer (call/deadline.py): a CancelledError it caused is that phase's timeout
        self.deadline: Any = None
        self.session: Any = None  # aiohttp.ClientSession (anything with `closed`)

    def __enter__(self) -> IOErrors:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            return
        if isinstance(exc, _MAPPED):
            if self.session is not None and self.session.closed:
                raise CallFailed(self._closed_under(exc)) from exc
            f = classify_exception(
                exc, provider=self.provider, host=self.host, phase=self.phase, model=self.model
            )
            raise CallFailed(f) from exc
        if isinstance(exc, asyncio.CancelledError) and self.deadline is not None:
            phase = self.deadline.expired()
            if phase is not None:
                timeout = TimeoutError()
                f = classify_exception(
                    timeout, provider=self.provider, host=self.host, phase=phase, model=self.model
                )
                raise CallFailed(f) from timeout

    def _closed_under(self, exc: BaseException) -> Failure:
        return make(
            "runtime.cancelled",
            f"clawgate closed its connections to {who(self.provider, self.host)} while the request was in flight "
            f"(the command or gateway was stopping: {_exc_text(exc)}); this is not an answer from {self.provider}",
            provider=self.provider,
            host=self.host,
            model=self.model,
        )

    def failure(self, exc: BaseException, phase: str | None = None) -> Failure:
        """The Failure for `exc` at `phase` (default: the current one), without raising."""
        return classify_exception(
            exc, provider=self.provider, host=self.host, phase=phase or self.phase, model=self.model
        )

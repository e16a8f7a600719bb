"""The aiohttp application: routes every dialect's endpoints and runs the per-request pipeline."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping

import orjson
from aiohttp import web

from . import control, oauth, streams
from .dialects import Mount, build_mounts
from .dialects.base import (
    AUTH_MISSING,
    AUTH_OK,
    COUNT_TOKENS,
    EMBEDDINGS,
    MODEL,
    MODELS,
    UNKNOWN,
    Ctx,
    ErrorReply,
)
from .extras import count_tokens, embeddings
from .faults import (
    AUTH_KINDS,
    TRIGGER_PREFIX,
    Fault,
    FaultScript,
    RequestFacts,
    TriggerError,
    parse_model_trigger,
)
from .keys import Keyring
from .log import RequestLog, RequestRecord
from .oauth import OAuthState
from .prompt_cache import PromptCache
from .reply import build_reply

logger = logging.getLogger("clawgate.emulator")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class EmulatorApp:
    """The state every request handler shares: mounts, keys, fault script, request log."""

    def __init__(
        self,
        keys: Mapping[str, Iterable[str] | str] | None = None,
        *,
        chunks: int = 5,
        log_size: int = 1000,
        capture_bodies: bool = True,
        models: Mapping[str, list[str]] | None = None,
    ) -> None:
        if chunks < 1:
            raise ValueError("chunks must be >= 1")
        self.mounts: list[Mount] = build_mounts(models)
        self.keyring = Keyring(keys)
        self.oauth = OAuthState(self.keyring)
        self.log = RequestLog(log_size, capture_bodies)
        self.script = FaultScript()
        self.prompt_cache = PromptCache()
        self.chunks = chunks
        self.stopping = False
        self._by_length = sorted(self.mounts, key=lambda m: len(m.prefix), reverse=True)

    def build(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        control.register(app, self)
        oauth.register(app, self.oauth)
        for mount in self.mounts:
            for method, suffix, endpoint in mount.dialect.routes(mount.region):
                app.router.add_route(method, mount.prefix + suffix, self._handler(mount, endpoint))
        app.router.add_route("*", "/{tail:.*}", self._fallback)
        return app

    def _handler(self, mount: Mount, endpoint: str) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await self.handle(request, mount, endpoint)

        return handler

    async def _fallback(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        for mount in self._by_length:
            if path == mount.prefix or path.startswith(mount.prefix + "/"):
                return await self.handle(request, mount, UNKNOWN)
        rec = self.log.start(request.method, path, request.query_string, request.headers, None, None, UNKNOWN)
        rec.status = 404
        rec.t_first_byte = rec.t_finished = time.monotonic()
        body = {"error": f"emulator: nothing is mounted at {path}", "mounts": [m.prefix for m in self.mounts]}
        return web.Response(status=404, body=orjson.dumps(body), content_type="application/json")

    # The pipeline ---------------------------------------------------------------------------
    async def handle(self, request: web.Request, mount: Mount, endpoint: str) -> web.StreamResponse:
        dialect = mount.dialect
        headers = request.headers
        rec = self.log.start(
            request.method, request.path, request.query_string, headers, dialect.name, mount.region, endpoint
        )
        try:
            return await self._respond(request, mount, endpoint, rec)
        except asyncio.CancelledError:
            if not self.stopping:
                rec.client_disconnected = True  # aiohttp cancels the handler when the client goes away
            raise
        except Exception as exc:
            logger.exception("emulator: error handling %s %s", request.method, request.path)
            rec.error = repr(exc)
            rec.status = 500
            if rec.t_first_byte is not None and request.transport is not None:
                request.transport.close()  # headers are out: end the connection rather than send a second reply
            return web.Response(status=500, text=f"emulator internal error: {exc!r}")
        finally:
            rec.t_finished = time.monotonic()

    async def _respond(
        self, request: web.Request, mount: Mount, endpoint: str, rec: RequestRecord
    ) -> web.StreamResponse:
        dialect = mount.dialect
        ctx = Ctx(
            dialect,
            mount.region,
            endpoint,
            request.method,
            request.path,
            rec.id,
            int(rec.wall_arrival),
            request.headers,
            chunks=self.chunks,
            oauth=self.oauth,
        )
        bad_json = False
        if request.body_exists:
            raw = await request.read()
            if raw:
                try:
                    data = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    bad_json = True
                    if self.log.capture_bodies:
                        rec.body = raw.decode("utf-8", "replace")
                else:
                    if self.log.capture_bodies:
                        rec.body = data
                    if isinstance(data, dict):
                        ctx.data = data
                        model = data.get("model")
                        if isinstance(model, str):
                            ctx.model = rec.model = model
                        ctx.stream = rec.stream = data.get("stream") is True
                    else:
                        bad_json = endpoint not in (MODELS, MODEL)

        if endpoint == MODEL:  # GET one model: the id is in the path
            ctx.model = rec.model = request.match_info.get("model_id", "")
        key = dialect.credential(request.headers, request.query)
        ctx.key = rec.key = key
        auth = self.keyring.check(dialect.name, mount.region, key) if key else AUTH_MISSING
        rec.auth = auth

        if endpoint == UNKNOWN:
            return await self._error(request, rec, ctx, dialect.not_found(ctx))

        fault, rec.fault_source, trigger_error = self._select_fault(mount, ctx, auth == AUTH_OK)
        if fault is not None:
            ctx.fault = rec.fault = fault
            if fault.chunks:
                ctx.chunks = fault.chunks

        if fault is not None and fault.kind in AUTH_KINDS:
            return await self._error(request, rec, ctx, dialect.error(ctx, fault.kind))
        if auth != AUTH_OK:
            return await self._error(request, rec, ctx, dialect.auth_error(ctx, auth))
        rejected = dialect.precheck(ctx)
        if rejected is not None:
            return await self._error(request, rec, ctx, rejected)
        if trigger_error is not None:
            return await self._error(
                request, rec, ctx, dialect.invalid_request(ctx, "emulator: " + trigger_error)
            )
        if bad_json:
            return await self._error(request, rec, ctx, dialect.invalid_request(ctx, None))
        if fault is not None and fault.is_status:
            return await self._error(request, rec, ctx, dialect.error(ctx, fault.kind))

        out_headers = dialect.base_headers(ctx)
        if fault is not None and fault.headers:  # a shaping fault's headers go on the normal answer
            out_headers.update(fault.headers)
        if endpoint == MODELS:
            body = dialect.models_body(ctx)
            return await streams.send_body(
                request, rec, dialect, 200, body, out_headers, dialect.json_type, fault
            )
        if endpoint == MODEL and ctx.model not in dialect.models:
            return await self._error(request, rec, ctx, dialect.err_unknown_model(ctx))
        if endpoint in (MODEL, COUNT_TOKENS, EMBEDDINGS):
            if endpoint == MODEL:
                body = dialect.model_body(ctx)
            elif endpoint == COUNT_TOKENS:
                body = dialect.count_body(ctx, count_tokens(dialect.name, ctx.data))
            else:
                vectors, tokens = embeddings(ctx.data)
                body = dialect.embeddings_body(ctx, vectors, tokens)
            return await streams.send_body(
                request, rec, dialect, 200, body, out_headers, dialect.json_type, fault
            )
        reply = build_reply(dialect.name, endpoint, ctx.data, ctx.model, ctx.chunks)
        self.prompt_cache.apply(dialect.name, endpoint, ctx.model, ctx.data, reply)
        if ctx.stream:
            spec = dialect.stream(ctx, reply)
            return await streams.send_stream(request, rec, dialect, spec, out_headers, fault)
        if fault is not None and fault.kind == "inband_error":
            body = dialect.inband_body(ctx, reply)
        else:
            body = dialect.body(ctx, reply)
        return await streams.send_body(
            request, rec, dialect, 200, body, out_headers, dialect.json_type, fault
        )

    def _select_fault(
        self, mount: Mount, ctx: Ctx, auth_ok: bool
    ) -> tuple[Fault | None, str | None, str | None]:
        """(fault, source, trigger error): the scripted fault for this request, else its model trigger's."""
        if self.script:
            facts = RequestFacts(
                mount.dialect.name, mount.region, ctx.path, ctx.model or None, ctx.key, ctx.stream
            )
            fault = self.script.take(facts, auth_ok)
            if fault is not None:
                return fault, "script", None
        if TRIGGER_PREFIX in ctx.model:
            try:
                fault = parse_model_trigger(ctx.model)
            except TriggerError as exc:
                return None, None, str(exc)
            if fault is not None and (auth_ok or fault.kind in AUTH_KINDS):
                return fault, "model", None
        return None, None, None

    async def _error(
        self, request: web.Request, rec: RequestRecord, ctx: Ctx, err: ErrorReply
    ) -> web.StreamResponse:
        headers = ctx.dialect.error_headers(ctx, err.status)
        headers.update(err.headers)
        fault = ctx.fault if ctx.fault is not None and ctx.fault.is_status else None
        if fault is None and ctx.fault is not None and ctx.fault.first_byte_ms:
            fault = Fault("none", first_byte_ms=ctx.fault.first_byte_ms)
        return await streams.send_body(
            request, rec, ctx.dialect, err.status, err.body, headers, err.content_type, fault
        )

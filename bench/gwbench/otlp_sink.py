"""An OTLP/HTTP trace sink for the bench: accepts `POST /v1/traces` (protobuf, optionally gzip), decodes each
request with the official opentelemetry-proto messages to count its spans, answers 200, keeps nothing else.
`GET /count` gives the spans received so far. It stands in for a collector so that clawgate's tracing does its
whole job (spans built, batched, encoded and sent over HTTP) while only clawgate's own CPU is measured.

    PYTHONPATH=bench .venv/bin/python -m gwbench.otlp_sink --port N
"""

from __future__ import annotations

import argparse
import gzip

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

_OK = ExportTraceServiceResponse().SerializeToString()


def app() -> web.Application:
    counts = {"spans": 0, "requests": 0}

    async def traces(request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        msg = ExportTraceServiceRequest()
        msg.ParseFromString(body)
        counts["requests"] += 1
        counts["spans"] += sum(len(ss.spans) for rs in msg.resource_spans for ss in rs.scope_spans)
        return web.Response(body=_OK, content_type="application/x-protobuf")

    async def count(request: web.Request) -> web.Response:
        return web.json_response(counts)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    a = web.Application(client_max_size=64 * 1024 * 1024)
    a.router.add_post("/v1/traces", traces)
    a.router.add_get("/count", count)
    a.router.add_get("/healthz", healthz)
    return a


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    web.run_app(app(), host="127.0.0.1", port=a.port, print=None, access_log=None)


if __name__ == "__main__":
    main()

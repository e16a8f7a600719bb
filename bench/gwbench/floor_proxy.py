#!/usr/bin/env python3
"""The Python floor, as a bench target: the least a Python gateway must do per request.

Copied from the project's reference `shared/reference/floor_proxy.py` (measured in
`shared/reference/python-floor.md`: "asgi-aiohttp +gc"). One change for this bench: the model table comes from
FLOOR_MODELS (`client-name=upstream-name,…`, default `bench-model=bench-model`), so the floor gets the same
request bodies as clawgate (`openai/gpt-4o` → `gpt-4o`) and does the same rewrite.

Raw ASGI on uvicorn (uvloop + httptools), pooled aiohttp client, gc frozen after start-up.
Per request: check the client key, orjson-parse the body, look the model up, rewrite it, add the
upstream Authorization, forward; return the body or relay each upstream read as it arrives.
Env: GATEWAY_PORT, FAKE_UPSTREAM_API_BASE, FAKE_UPSTREAM_KEY, BENCH_GATEWAY_KEY (client key; default
the upstream key). Run with a Python that has uvicorn, aiohttp, orjson (clawgate's own .venv does).
"""

import gc
import os

import aiohttp
import orjson
import uvicorn

UP = os.environ["FAKE_UPSTREAM_API_BASE"].rstrip("/") + "/chat/completions"
UP_KEY = os.environ["FAKE_UPSTREAM_KEY"]
CLIENT_KEYS = {os.environ.get("BENCH_GATEWAY_KEY", UP_KEY), "sk-bench-master"}
MODELS = dict(
    pair.split("=", 1)
    for pair in os.environ.get("FLOOR_MODELS", "bench-model=bench-model").split(",")
    if pair
)
session: aiohttp.ClientSession | None = None


async def _body(receive):
    chunks = []
    while True:
        m = await receive()
        chunks.append(m.get("body", b""))
        if not m.get("more_body"):
            return b"".join(chunks)


async def _send_json(send, status, obj):
    body = orjson.dumps(obj)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send):
    global session
    if scope["type"] == "lifespan":
        while True:
            m = await receive()
            if m["type"] == "lifespan.startup":
                session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=None))
                gc.collect()
                gc.freeze()
                gc.set_threshold(50_000, 50, 100)
                await send({"type": "lifespan.startup.complete"})
            elif m["type"] == "lifespan.shutdown":
                await session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["path"] != "/v1/chat/completions":
        return await _send_json(send, 404, {"error": {"message": "not found"}})
    auth = dict(scope["headers"]).get(b"authorization", b"").decode()
    if auth.removeprefix("Bearer ") not in CLIENT_KEYS:
        return await _send_json(send, 401, {"error": {"message": "bad key"}})
    req = orjson.loads(await _body(receive))
    model = MODELS.get(req.get("model"))
    if model is None:
        return await _send_json(send, 404, {"error": {"message": "unknown model"}})
    req["model"] = model
    stream = bool(req.get("stream"))
    async with session.post(
        UP,
        data=orjson.dumps(req),
        headers={"authorization": f"Bearer {UP_KEY}", "content-type": "application/json"},
    ) as r:
        ctype = r.headers.get("content-type", "application/json").encode()
        if not stream:
            body = await r.read()
            await send(
                {
                    "type": "http.response.start",
                    "status": r.status,
                    "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await send(
            {
                "type": "http.response.start",
                "status": r.status,
                "headers": [(b"content-type", ctype), (b"cache-control", b"no-cache")],
            }
        )
        async for chunk in r.content.iter_any():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["GATEWAY_PORT"]),
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )

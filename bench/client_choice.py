"""Measure the HTTP client candidates (aiohttp vs httpx) as clawgate uses them: pooled, concurrent,
non-streaming and streaming, against a local upstream in another process. Prints a Markdown table.

    .venv/bin/pip install httpx   # only needed for this comparison
    .venv/bin/python bench/client_choice.py [--seconds 3] [--reps 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import socket
import statistics
import time

BODY = b'{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'
CHUNK = b'data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"tok "}}]}\n\n'
REQ = b'{"model":"m","messages":[{"role":"user","content":"hi"}]}'


def _upstream(port: int, ready: mp.synchronize.Event) -> None:
    from aiohttp import web

    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if b'"stream":true' in body:
            resp = web.StreamResponse(headers={"content-type": "text/event-stream"})
            await resp.prepare(request)
            await resp.write(CHUNK * 20 + b"data: [DONE]\n\n")
            await resp.write_eof()
            return resp
        return web.Response(body=BODY, content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)

    async def main() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.Event().wait()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run_client(kind: str, url: str, conc: int, seconds: float, stream: bool) -> tuple[int, float]:
    body = REQ[:-1] + b',"stream":true}' if stream else REQ
    count = 0
    deadline = time.perf_counter() + seconds
    if kind == "aiohttp":
        import aiohttp

        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:

            async def worker() -> None:
                nonlocal count
                while time.perf_counter() < deadline:
                    async with s.post(url, data=body, headers={"content-type": "application/json"}) as r:
                        if stream:
                            async for _ in r.content.iter_any():
                                pass
                        else:
                            await r.read()
                    count += 1

            await asyncio.gather(*(worker() for _ in range(conc)))
    else:
        import httpx

        limits = httpx.Limits(max_connections=None, max_keepalive_connections=conc)
        async with httpx.AsyncClient(limits=limits) as c:

            async def worker() -> None:
                nonlocal count
                while time.perf_counter() < deadline:
                    if stream:
                        async with c.stream(
                            "POST", url, content=body, headers={"content-type": "application/json"}
                        ) as r:
                            async for _ in r.aiter_raw():
                                pass
                    else:
                        r = await c.post(url, content=body, headers={"content-type": "application/json"})
                        r.read()
                    count += 1

            await asyncio.gather(*(worker() for _ in range(conc)))
    return count, seconds


def measure(kind: str, url: str, conc: int, seconds: float, stream: bool) -> dict[str, float]:
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    count, _ = asyncio.run(run_client(kind, url, conc, seconds, stream))
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {"rps": count / wall, "cpu_ms": cpu * 1000 / max(count, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--reps", type=int, default=2)
    args = ap.parse_args()
    port = free_port()
    ready = mp.Event()
    up = mp.Process(target=_upstream, args=(port, ready), daemon=True)
    up.start()
    ready.wait(10)
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    rows = []
    try:
        for stream in (False, True):
            for conc in (1, 16, 64):
                res: dict[str, list[dict[str, float]]] = {"aiohttp": [], "httpx": []}
                for _ in range(args.reps):
                    for kind in ("aiohttp", "httpx"):  # interleaved so drift cancels
                        res[kind].append(measure(kind, url, conc, args.seconds, stream))
                for kind, vals in res.items():
                    rows.append(
                        (
                            ("stream" if stream else "plain"),
                            conc,
                            kind,
                            statistics.median(v["rps"] for v in vals),
                            statistics.median(v["cpu_ms"] for v in vals),
                        )
                    )
    finally:
        up.terminate()
        up.join(5)
    print(f"client comparison, {os.cpu_count()} cores, {args.seconds}s x {args.reps} reps per cell\n")
    print("| mode | concurrency | client | requests/s | client CPU ms/request |")
    print("|---|---|---|---|---|")
    for mode, conc, kind, rps, cpu in rows:
        print(f"| {mode} | {conc} | {kind} | {rps:,.0f} | {cpu:.3f} |")


if __name__ == "__main__":
    main()

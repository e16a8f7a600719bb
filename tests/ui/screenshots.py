"""Screenshots of every view of the control UI, light and dark, into docs/ui/ (and two phone-sized ones).

    .venv/bin/python tests/ui/screenshots.py [--out docs/ui]

Runs the same bench as the browser tests (provider emulator, a real gateway subprocess, the system Chromium):
a provider rejection and its repeat, a probe, doctor, a chat (one streamed reply, one failed run) and a stuck
run, so that every view has something to show. Every key in it is fake.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.timing import limit  # noqa: E402
from tests.ui import harness  # noqa: E402
from tests.ui.harness import VIEWS, goto_view  # noqa: E402

WIDTH, HEIGHT, MAX_HEIGHT = 1280, 860, 1300
READY = {
    "overview": "#ov-gw",
    "agents": "[data-agent=coder]",
    "providers": "[data-provider=groq] .probe-result",
    "failures": "section.failure-group",
    "sessions": "li.run[data-stuck=true]",
    "doctor": "#doc-findings",
    "chat": ".chat-log .msg.has-error",
}


def shoot(page: Any, path: Path, width: int, max_height: int) -> None:
    page.wait_for_timeout(250)  # let the last live update paint
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(
        path=str(path),
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": min(max(height, HEIGHT), max_height)},
        animations="disabled",
        caret="hide",
    )
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


def chat(page: Any, agent: str, text: str, done: str) -> None:
    goto_view(page, "chat")
    page.wait_for_selector(f"#chat-agent option[value={agent}]", state="attached")
    page.select_option("#chat-agent", agent)
    page.fill("#chat-input", text)
    page.keyboard.press("Enter")
    page.wait_for_selector(done, timeout=limit(20) * 1000)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(REPO / "docs" / "ui"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not harness.chromium_available():
        print(f"no browser: {harness.CHROMIUM} (apt-get install -y chromium) or playwright is missing")
        return 2
    with (
        tempfile.TemporaryDirectory(prefix="clawgate-shots-") as tmp,
        harness.emulator() as emu,
        harness.bench(Path(tmp), emu) as b,
    ):
        b.provoke_rejection()  # groq rejects coder's key; anthropic (the default fallback) serves
        b.api(
            "POST",
            "/v1/chat/completions",
            json={"model": "agent/reviewer", "messages": [{"role": "user", "content": "x"}]},
        )  # refused from the health state: a repeat
        with harness.browser("light", (WIDTH, HEIGHT)) as ctx:
            page = ctx.new_page()
            page.goto(b.url + "/")
            page.wait_for_selector("text=Log in to clawgate")
            shoot(page, out / "login-light.png", WIDTH, HEIGHT)
            page.goto(b.login_url())
            page.wait_for_selector("nav#nav:not([hidden])")
            sessions = b.has_sessions_api()
            started = time.monotonic()
            if sessions:
                b.start_stuck_run()
                chat(
                    page,
                    "main",
                    "echo: Hello! The gateway streamed this reply token by token.",
                    ".chat-log .msg.assistant[data-status=completed]",
                )
                chat(page, "reviewer", "Review the release notes, please.", ".chat-log .msg.has-error")
            goto_view(page, "providers")
            page.click("[data-provider=groq] button:has-text('Probe groq')")
            page.wait_for_selector("[data-provider=groq] .probe-result", timeout=limit(20) * 1000)
            order = [v for v in VIEWS if v == "sessions"] + [v for v in VIEWS if v != "sessions"]
            if sessions:
                time.sleep(max(0.0, 6.5 - (time.monotonic() - started)))  # silent long enough: stuck
            shots = [(v, s) for v in order for s in ("light", "dark")]
            for view, scheme in shots:
                if view in ("sessions", "chat") and not sessions:
                    continue
                page.emulate_media(color_scheme=scheme)
                goto_view(page, view)
                page.wait_for_selector(READY[view], timeout=limit(20) * 1000)
                if view == "providers":  # the rejected provider, with its probe result, in view
                    page.evaluate("document.querySelector('[data-provider=groq]').scrollIntoView()")
                    page.evaluate("window.scrollBy(0, -70)")
                    page.wait_for_timeout(150)
                    page.screenshot(
                        path=str(out / f"{view}-{scheme}.png"), animations="disabled", caret="hide"
                    )
                    print(f"wrote docs/ui/{view}-{scheme}.png")
                    continue
                shoot(page, out / f"{view}-{scheme}.png", WIDTH, MAX_HEIGHT)
        # a phone
        for view, scheme in (("overview", "light"), ("failures", "dark")):
            with harness.browser(scheme, (390, 844)) as ctx:
                page = ctx.new_page()
                page.goto(b.login_url())
                page.wait_for_selector("nav#nav:not([hidden])")
                goto_view(page, view)
                page.wait_for_selector(READY[view], timeout=limit(20) * 1000)
                shoot(page, out / f"phone-{view}-{scheme}.png", 390, 1400)
    return 0


if __name__ == "__main__":
    sys.exit(main())

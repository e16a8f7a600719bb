"""Answers of a translated request put back into the shape the client asked for.

When an Anthropic model without native structured outputs got the client's JSON schema as a tool it was
forced to call, its call is the answer: the call's input becomes the text, and the answer ends as a plain
stop (`forced_tool` is the tool's name, from the attempt's notes).
"""

from __future__ import annotations

from dataclasses import replace

from clawgate.dialects.internal import ChatResult, StreamEvent


def result(res: ChatResult, forced_tool: str | None) -> ChatResult:
    if not forced_tool:
        return res
    answer = [tc for tc in res.tool_calls if tc.name == forced_tool]
    if not answer:
        return res
    rest = [tc for tc in res.tool_calls if tc.name != forced_tool]
    finish = "stop" if res.finish_reason == "tool_calls" and not rest else res.finish_reason
    text = res.text + "".join(tc.arguments for tc in answer)
    return replace(res, text=text, tool_calls=rest, finish_reason=finish)


class StreamReshaper:
    """The same for a stream: the forced call's argument fragments become text events."""

    def __init__(self, forced_tool: str | None) -> None:
        self.forced_tool = forced_tool
        self._answer: set[int] = set()

    def feed(self, ev: StreamEvent) -> list[StreamEvent]:
        if not self.forced_tool:
            return [ev]
        if ev.kind == "tool_call" and ev.name == self.forced_tool:
            self._answer.add(ev.index)
            return []
        if ev.kind == "tool_args" and ev.index in self._answer:
            return [StreamEvent(kind="text", text=ev.text)] if ev.text else []
        if ev.kind == "finish" and ev.finish_reason == "tool_calls" and self._answer:
            return [replace(ev, finish_reason="stop")]
        return [ev]

"""Provider emulator: a local server speaking each LLM provider's wire dialect, with scripted faults and a log.

Mounts (baseUrl = `http://HOST:PORT` + prefix; `Emulator.base_url(dialect, region)` builds it):

    openai        /openai/v1                              chat/completions, responses, models
    anthropic     /anthropic                              v1/messages, v1/models
    openrouter    /openrouter/api/v1                      chat/completions, responses, models
    dashscope     /dashscope/{cn|intl|us}/compatible-mode/v1   chat/completions, responses, models
    dashscope     /dashscope/{coding-cn|coding-intl}/v1   chat/completions (anything else: 404, empty body)
    groq          /groq/openai/v1                         chat/completions, models
    moonshot      /moonshot/{ai|cn}/v1                    chat/completions, models
    deepseek      /deepseek/v1                            chat/completions, models
    gemini        /gemini/v1beta/openai                   chat/completions
    zai, mistral, cerebras, together, opencode, xai        OpenAI chat (xai: Responses too), see dialects/hosted
    minimax       /minimax/anthropic                      v1/messages
    kimi          /kimi/coding                            v1/messages (Kimi Coding)
    ollama        /ollama                                 v1/chat/completions, v1/models, api/tags (no key)
    chatgpt       /chatgpt/backend-api                    codex/responses, codex/models (ChatGPT sign-in only)
    copilot       /copilot                                chat/completions, models (exchanged Copilot tokens)

OAuth servers under `/oauth/{openai,anthropic,github}` (sign-in, refresh, device code, Copilot token exchange;
`emu.oauth` issues, expires and counts tokens): see `emulator.oauth`.

Keys: `Emulator(keys={"openai": ["sk-test-1"], "dashscope:intl": [...], "moonshot:cn": [...]})`. A dialect with
no keys accepts any non-empty key. An unscoped `"dashscope"`/`"moonshot"` entry is valid on all its hosts;
otherwise keys are bound to their region/plan and rejected elsewhere with that dialect's wrong-key 401.

Replies are deterministic: `"emulated reply from <dialect> model <model>"`; if the last message is a user
message starting with `echo:`, the rest of it (stripped); if the request has `tools` and that message contains
`call_tool`, a call to the first tool with arguments `{"x": 1}` (when its schema has a property `x`) or `{}`.
Streams split the reply into `chunks` content chunks (default 5; per request with a fault's `chunks`).

Fault script (Python: `emu.add_fault(...)`, `emu.add_faults(...)`, `emu.set_faults(...)`; HTTP: `POST
/_emulator/faults` appends, `PUT` replaces, `DELETE` clears, `GET` lists; `POST /_emulator/reset` clears the
script and the log). A rule is

    {"match": {"dialect": "openai", "region": null, "path_suffix": "/chat/completions", "model": "gpt-4o",
               "key": "sk-test-1", "stream": true},          # every field optional; {} matches all requests
     "fault": {"kind": "rate_limit", "retry_after": 2},      # or just "rate_limit"
     "times": 1}                                             # default 1; null = forever

Rules are tried in order; the first match is applied and its `times` decremented. While a request fails
authentication only auth faults are consumed. Fault fields: kind, status (override), retry_after (s),
retry_after_ms, no_retry, first_byte_ms, chunk_delay_ms, keepalive_ms, after, chunks, variant, and for kind
"custom": status, body, headers, content_type. `ms` is accepted as the kind's delay (as in triggers).

Fault kinds: missing_key, wrong_key, billing, forbidden, rate_limit, overloaded, server_error, unknown_model,
context_length (each dialect's own status and body), custom (your status/body), and the stream shapers
slow_first_byte (default 1000 ms), slow_chunks (default 100 ms), cut_mid_stream (close the connection after
`after` content chunks, default 2, no terminator; non-stream: half the body), inband_error (after `after`
chunks, default 2, the dialect's in-band error), keepalive (keep-alive lines between events; non-stream: blank
lines before the JSON), hang (headers and `after` chunks, default 0, then nothing until the client leaves),
extra_done (end with two `data: [DONE]`), no_done (omit `[DONE]`; Anthropic/Responses: omit the terminal
event), none (no fault; useful with `chunks`). DeepSeek and OpenRouter streams send headers at once and
keep-alive comments while a first byte is delayed; DeepSeek non-stream bodies get blank lines instead.

Model-name triggers (for requests that only pass through a model id; an optional `provider/` prefix is
ignored):

    fault-<kind>[-<param>]...       e.g. fault-rate_limit-retry2, fault-cut_mid_stream-after3-chunks8

    params: retry<seconds>  retryms<ms>  noretry  status<code>  after<n>  chunks<n>
            ms<ms> (the kind's delay: first byte for slow_first_byte, else between chunks)
            fb<ms> (first-byte delay, any kind)  gap<ms> (between chunks, any kind)  ka<ms> (keep-alive interval)

A malformed trigger gets a 400 in the dialect's envelope whose message starts with "emulator:".

Request log: `emu.requests`, `emu.requests_for(dialect=..., path_suffix=...)`, `GET /_emulator/requests`;
`emu.wait_for(predicate, timeout)` polls with a deadline (async on `Emulator`, sync on `EmulatorThread`).
"""

from .dialects import DIALECTS
from .faults import KINDS, Fault, FaultRule, Match, parse_model_trigger
from .log import RequestRecord
from .runner import Emulator, EmulatorThread, serve

__all__ = [
    "DIALECTS",
    "KINDS",
    "Emulator",
    "EmulatorThread",
    "Fault",
    "FaultRule",
    "Match",
    "RequestRecord",
    "parse_model_trigger",
    "serve",
]

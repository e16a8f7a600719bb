"""The one failure classifier, split by job:

- `retry`: retry facts (retry-after, x-should-retry, durations in messages, rate-limit reset headers);
- `body`: error bodies of every envelope → `ErrorInfo`;
- `families`: provider families by id or host, region/plan-bound hosts, billing pages;
- `table`: the decision table (status + body facts → code);
- `answers`: HTTP errors and in-band stream errors → Failure (`classify_http`, `classify_stream_error`);
- `exceptions`: aiohttp/asyncio/OS errors → Failure, and `IOErrors`, the exception-mapping context manager
  around every I/O point;
- `local`: failures decided without an answer (health refusals, credentials, pins, cut streams);
- `steps`: the next commands per code.
"""

from clawgate.failures.classify.answers import classify_http, classify_stream_error
from clawgate.failures.classify.body import PROVIDER_MESSAGE_MAX, extract_error_fields
from clawgate.failures.classify.exceptions import CallFailed, IOErrors, classify_exception
from clawgate.failures.classify.families import family, region_hint
from clawgate.failures.classify.retry import parse_retry_after
from clawgate.failures.classify.steps import next_steps

__all__ = [
    "PROVIDER_MESSAGE_MAX",
    "CallFailed",
    "IOErrors",
    "classify_exception",
    "classify_http",
    "classify_stream_error",
    "extract_error_fields",
    "family",
    "next_steps",
    "parse_retry_after",
    "region_hint",
]

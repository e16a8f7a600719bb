"""gateway.log is redacted value by value before JSON encoding: a secret containing `\\` or `"` is escaped by
the encoder, so redacting the encoded line would miss it."""

from __future__ import annotations

import orjson
import pytest

from clawgate import logs
from clawgate.redaction import register_secret

SECRETS = [
    'cgtest~quote"inside~7f3a9c1e5b2d4f60',
    "cgtest~back\\slash~7f3a9c1e5b2d4f60",
    "cgtest~tab\tand\nnewline~7f3a9c1e5b2d",
]


@pytest.mark.parametrize("secret", SECRETS, ids=["quote", "backslash", "control"])
def test_a_secret_with_json_special_characters_never_reaches_the_log(tmp_path, secret):
    register_secret(secret)
    logs.setup(tmp_path, console=False)
    try:
        logs.event(
            "upstream.error", f"provider said: bad key {secret}", detail={"echo": secret, "n": [secret]}
        )
        logs.event("request", f"x {secret} y", level=40, header=f"Bearer {secret}")
    finally:
        logs.shutdown()
    text = (tmp_path / logs.LOG_FILE).read_text()
    encoded = orjson.dumps(secret).decode()[1:-1]  # the secret as the JSON encoder writes it
    assert secret not in text and encoded not in text, text
    for part in secret.replace("\\", "~").replace('"', "~").replace("\t", "~").replace("\n", "~").split("~"):
        if len(part) >= 10:
            assert part not in text, (part, text)
    entries = logs.read(tmp_path)
    assert len(entries) == 2 and "#" in entries[0]["message"]  # replaced by the fingerprint

"""The redactor remembers short texts redacted; a secret registered later is still hidden in them."""

from __future__ import annotations

from clawgate.redaction import Redactor, fingerprint


def test_a_remembered_text_is_redacted_again_once_a_secret_in_it_is_registered() -> None:
    r = Redactor()
    text = "calling with CANARYmemo~0000111122223333"
    assert r.redact(text) == text  # nothing registered yet, not shaped like a key: unchanged (and remembered)
    r.register("CANARYmemo~0000111122223333")
    assert r.redact(text) == f"calling with {fingerprint('CANARYmemo~0000111122223333')}"


def test_remembering_is_bounded() -> None:
    r = Redactor()
    r.register("CANARYmemo~bounded000000000")
    for i in range(5000):
        assert r.redact(f"/v1/chat/completions?n={i}") == f"/v1/chat/completions?n={i}"
    assert len(r._memo) <= 1024
    assert r.redact("x CANARYmemo~bounded000000000 y") == f"x {fingerprint('CANARYmemo~bounded000000000')} y"

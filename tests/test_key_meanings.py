"""`outage-emulator keys` explains every knob, from the comment beside it in the code."""

from __future__ import annotations

from emulator.config.describe import describe


def test_every_key_says_what_it_means() -> None:
    missing = [doc.key for doc in describe() if not doc.meaning]
    assert missing == [], f"keys without a comment above their field: {missing}"


def test_a_meaning_is_more_than_the_key_name() -> None:
    for doc in describe():
        name = doc.key.rsplit(".", 1)[-1].replace("_", " ")
        assert doc.meaning.strip(" .").lower() != name, doc.key

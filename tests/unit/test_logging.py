from __future__ import annotations

import io
import json
import logging

import pytest

from aiops.log import configure_logging, get_logger

CANARY = "canary-7f3a9c1e5b"


@pytest.fixture
def captured() -> io.StringIO:
    stream = io.StringIO()
    configure_logging(fmt="json", level="debug", stream=stream)
    return stream


def test_secret_keys_and_secret_looking_text_are_redacted(captured: io.StringIO) -> None:
    log = get_logger("test")
    log.info(
        "login",
        password=CANARY,
        api_key=CANARY,
        headers={"Authorization": f"Bearer {CANARY}", "Accept": "json"},
        url=f"postgresql://aiops:{CANARY}@db:5432/aiops",
        note=f"sent token={CANARY} and Bearer {CANARY}",
        key=f"-----BEGIN OPENSSH PRIVATE KEY-----\n{CANARY}\n-----END OPENSSH PRIVATE KEY-----",
    )
    logging.getLogger("uvicorn.error").warning("private_key=%s", CANARY)

    output = captured.getvalue()
    assert CANARY not in output
    first = json.loads(output.splitlines()[0])
    assert first["event"] == "login"
    assert first["headers"]["Accept"] == "json"
    assert first["url"].startswith("postgresql://aiops:")


def test_console_format_is_key_value() -> None:
    stream = io.StringIO()
    configure_logging(fmt="console", level="info", stream=stream)

    get_logger("test").info("issues.synced", created=3)

    line = stream.getvalue().strip()
    assert "event=issues.synced" in line
    assert "created=3" in line
    assert "level=info" in line


def test_console_lines_show_escape_and_carriage_return_as_text() -> None:
    stream = io.StringIO()
    configure_logging(fmt="console", level="info", stream=stream)

    get_logger("test").warning(
        "tracker.failed", error="\x1b]0;pwned\x07 fine\rOK\n\x9b2J", title="a b\x1b[31m"
    )
    logging.getLogger("tests.foreign").warning("bad \x1b[2J %s", "\r")  # a stdlib logger

    output = stream.getvalue()
    assert output.count("\n") == 2  # one line each
    assert all(ch not in output for ch in "\x1b\r\x07\x9b")
    assert 'error="\\x1b]0;pwned\\x07 fine\\rOK\\n\\x9b2J"' in output
    assert "\\x1b[2J" in output


def test_scrub_masks_secrets_in_error_text() -> None:
    from aiops.log import scrub

    text = f"connect failed for postgresql://u:{CANARY}@h/db with api_key={CANARY}"

    assert CANARY not in scrub(text)
    assert scrub("nothing secret here") == "nothing secret here"


def test_deferred_logging_configures_at_the_first_record_and_still_redacts() -> None:
    stream = io.StringIO()
    configure_logging(fmt="json", level="info", stream=stream, deferred=True)
    assert stream.getvalue() == ""

    logging.getLogger("tests.deferred").debug("below the level %s", CANARY)
    logging.getLogger("tests.deferred").warning("sent token=%s", CANARY)
    get_logger("test").info("after", password=CANARY)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["sent token=[redacted]", "after"]
    assert CANARY not in stream.getvalue()

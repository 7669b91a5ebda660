"""The launcher's wire format: frames, and the shape every request must have."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.adapters.launcher.protocol import (
    HEADER,
    MAX_FRAME,
    SHAPES,
    Refused,
    checked,
    decode,
    encode,
)

RUN = {
    "op": "run",
    "account": "alice",
    "program": "git",
    "args": ["status", "--porcelain=v2"],
    "cwd": "/home/alice/workspace/web",
    "env": {"GIT_TERMINAL_PROMPT": "0"},
    "input_b64": "",
    "timeout": 30,
}


def test_a_frame_is_its_length_then_its_json() -> None:
    frame = encode({"op": "ping"})

    (size,) = HEADER.unpack(frame[: HEADER.size])
    assert size == len(frame) - HEADER.size
    assert decode(frame[HEADER.size :]) == {"op": "ping"}


def test_a_message_over_the_frame_limit_is_refused() -> None:
    with pytest.raises(Refused, match="over"):
        encode({"data": "x" * MAX_FRAME})


@pytest.mark.parametrize("body", [b"\xff\xfe", b"not json", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_refused(body: bytes) -> None:
    with pytest.raises(Refused) as refused:
        decode(body)

    assert refused.value.code == "bad_frame"


def test_a_well_formed_run_request_passes() -> None:
    assert checked(RUN) == RUN


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"op": "format-disk"}, "unknown op"),
        ({"op": 3}, "unknown op"),
        ({"extra": 1}, "unexpected ['extra']"),
        ({"account": "root;rm"}, "account is not a valid account"),
        ({"account": "-alice"}, "account is not a valid account"),
        ({"program": "/bin/sh"}, "program is not a valid program"),
        ({"args": "status"}, "args is not a valid list"),
        ({"args": ["a\0b"]}, "args is not a valid list"),
        ({"cwd": "relative/path"}, "cwd is not a valid path"),
        ({"env": {"BAD NAME": "x"}}, "env is not a valid dict"),
        ({"env": {"OK": 1}}, "env is not a valid dict"),
        ({"timeout": 0}, "timeout is not a valid number"),
        ({"timeout": True}, "timeout is not a valid number"),
        ({"timeout": 10**9}, "timeout is not a valid number"),
        ({"input_b64": None}, "input_b64 is not a valid str"),
    ],
)
def test_a_request_out_of_shape_is_refused_naming_the_field(
    change: dict[str, Any], why: str
) -> None:
    with pytest.raises(Refused) as refused:
        checked(RUN | change)

    assert refused.value.code == "bad_request"
    assert why in refused.value.message


def test_a_missing_field_is_named() -> None:
    request = {key: value for key, value in RUN.items() if key != "cwd"}

    with pytest.raises(Refused, match=r"missing \['cwd'\]"):
        checked(request)


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("mode", 0o600, True),
        ("mode", 0o10000, False),
        ("mode", -1, False),
        ("mode", True, False),
        ("exclusive", False, True),
        ("exclusive", 0, False),
    ],
)
def test_modes_and_flags_are_checked_exactly(field: str, value: object, valid: bool) -> None:
    request = {
        "op": "write_file",
        "account": "alice",
        "path": "/home/alice/f",
        "data_b64": "",
        "mode": 0o600,
        "exclusive": False,
    } | {field: value}

    if valid:
        assert checked(request)[field] == value
    else:
        with pytest.raises(Refused):
            checked(request)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(
    op=st.sampled_from([*SHAPES, "nope"]),
    fields=st.dictionaries(
        st.sampled_from(sorted({f for shape in SHAPES.values() for f in shape} | {"x"})),
        json_values,
        max_size=8,
    ),
)
def test_any_request_is_either_accepted_whole_or_refused_cleanly(
    op: str, fields: dict[str, Any]
) -> None:
    request = {"op": op, **fields}
    try:
        accepted = checked(request)
    except Refused as refused:
        code = refused.code
    else:
        code = "accepted"
        assert accepted == request
        assert set(accepted) - {"op"} == set(SHAPES[op])
        json.dumps(accepted)  # still plain JSON
    assert code in {"accepted", "bad_request"}

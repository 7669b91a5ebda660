from __future__ import annotations

import re

from aiops.adapters.argon2_hasher import Argon2PasswordHasher
from aiops.config import load_settings


def test_default_parameters_meet_owasp_argon2id_minimum() -> None:
    settings = load_settings()
    hasher = Argon2PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost_kib=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )

    encoded = hasher.hash("correct horse battery staple")

    match = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$.+\$.+", encoded)
    assert match is not None
    memory, time_cost, _ = map(int, match.groups())
    assert memory >= 19 * 1024
    assert time_cost >= 2


def test_verify_accepts_the_password_and_refuses_others_without_raising() -> None:
    hasher = Argon2PasswordHasher(time_cost=2, memory_cost_kib=19 * 1024, parallelism=1)
    encoded = hasher.hash("correct horse battery staple")

    assert hasher.verify(encoded, "correct horse battery staple")
    assert not hasher.verify(encoded, "Correct horse battery staple")
    assert not hasher.verify("not-a-hash", "anything")
    assert not hasher.needs_rehash(encoded)
    assert Argon2PasswordHasher(time_cost=3, memory_cost_kib=19 * 1024, parallelism=1).needs_rehash(
        encoded
    )

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.config import ConfigError, load_settings, setting_names


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AIOPS_DATABASE_URL", "AIOPS_INSTANCE_PATH", "AIOPS_PORT", "AIOPS_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    settings = load_settings()

    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'aiops.db'}"
    assert settings.argon2_memory_kib >= 19 * 1024
    assert settings.argon2_time_cost >= 2


def test_environment_and_dotenv_are_read_environment_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("AIOPS_PORT=9000\nAIOPS_LOG_FORMAT=json\n")
    monkeypatch.setenv("AIOPS_PORT", "9100")

    settings = load_settings()

    assert (settings.port, settings.log_format) == (9100, "json")


def test_invalid_settings_name_each_bad_variable_on_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIOPS_PORT", "eighty")
    monkeypatch.setenv("AIOPS_LOG_FORMAT", "xml")

    with pytest.raises(ConfigError) as raised:
        load_settings()

    message = str(raised.value)
    assert "\n" not in message
    assert "AIOPS_PORT" in message
    assert "'eighty'" in message
    assert "AIOPS_LOG_FORMAT" in message


def test_argon2_below_owasp_minimum_is_refused() -> None:
    with pytest.raises(ConfigError, match="AIOPS_ARGON2_MEMORY_KIB"):
        load_settings(argon2_memory_kib=1024)


def test_env_example_lists_every_setting() -> None:
    example = (Path(__file__).parents[2] / ".env.example").read_text()
    listed = {line.split("=", 1)[0] for line in example.splitlines() if line.startswith("AIOPS_")}
    assert listed == {f"AIOPS_{name.upper()}" for name in setting_names()}


def test_scheduler_settings_are_checked() -> None:
    settings = load_settings(scheduler_timezone="America/New_York", job_lease_seconds=9)
    assert (settings.scheduler_timezone, settings.job_lease_seconds) == ("America/New_York", 9)
    with pytest.raises(ConfigError, match=r"AIOPS_SCHEDULER_TIMEZONE: .*unknown time zone"):
        load_settings(scheduler_timezone="Mars/Olympus")
    with pytest.raises(ConfigError, match="AIOPS_JOB_LEASE_SECONDS"):
        load_settings(job_lease_seconds=1)
    with pytest.raises(ConfigError, match="AIOPS_SCHEDULER_POLL"):
        load_settings(scheduler_poll=0)


def test_the_silence_before_a_run_counts_as_lost_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().run_lost_after == 120
    monkeypatch.setenv("AIOPS_RUN_LOST_AFTER", "600")
    assert load_settings().run_lost_after == 600
    for bad in ("5", "100000", "soon"):  # beats every 1.25 s would hammer the database
        monkeypatch.setenv("AIOPS_RUN_LOST_AFTER", bad)
        with pytest.raises(ConfigError, match="AIOPS_RUN_LOST_AFTER"):
            load_settings()

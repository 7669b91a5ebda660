"""Each setting's text read as its type (aiops.setting_values), as pydantic-settings read it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.config import ConfigError, load_settings
from aiops.setting_values import FALSE, TRUE, SecretStr, parse_bool, parse_int, setting_value

text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
mappings = st.dictionaries(text, st.lists(text, max_size=3), max_size=4)


@given(st.sampled_from(sorted(TRUE | FALSE)), st.booleans(), st.sampled_from(["", " ", "\t"]))
def test_a_boolean_word_reads_whatever_its_case_and_spaces(
    word: str, upper: bool, space: str
) -> None:
    assert parse_bool(f"{space}{word.upper() if upper else word}{space}") is (word in TRUE)


@given(text)
def test_any_other_text_is_not_a_boolean(word: str) -> None:
    if word.strip().lower() in TRUE | FALSE:
        return
    with pytest.raises(ValueError, match="must be a boolean"):
        parse_bool(word)


@given(st.integers(), st.sampled_from(["", " ", "\n"]))
def test_a_whole_number_reads_back_as_itself(number: int, space: str) -> None:
    assert parse_int(f"{space}{number}{space}") == number
    assert parse_int(number) == number


@pytest.mark.parametrize("value", ["eighty", "1.5", "", True, 2.0])
def test_what_is_not_a_whole_number_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="whole number"):
        parse_int(value)


@given(mappings)
def test_a_mapping_reads_from_its_json_and_as_itself(value: dict[str, list[str]]) -> None:
    assert setting_value(json.dumps(value), dict[str, list[str]]) == value
    assert setting_value(value, dict[str, list[str]]) == value


@pytest.mark.parametrize("given_text", ['{"codex": "codex --x"}', "[]", "{", '{"a": [1]}'])
def test_json_of_another_shape_is_refused(given_text: str) -> None:
    with pytest.raises(ValueError, match=r'must be JSON of the shape \{"text": \["text"\]\}'):
        setting_value(given_text, dict[str, list[str]])


@given(text)
def test_a_choice_is_one_of_the_literal_values(value: str) -> None:
    choices = Literal["console", "json"]
    if value in ("console", "json"):
        assert setting_value(value, choices) == value
    else:
        with pytest.raises(ValueError, match="must be one of 'console', 'json'"):
            setting_value(value, choices)


def test_an_empty_optional_is_none_and_a_path_is_a_path() -> None:
    assert setting_value("", Path | None) is None
    assert setting_value("/run/aiops.sock", Path | None) == Path("/run/aiops.sock")


@given(text.filter(bool))
def test_a_secret_never_shows_in_its_text(secret: str) -> None:
    sealed = setting_value(secret, SecretStr | None)

    assert sealed.get_secret_value() == secret
    # the same text whatever the secret: nothing of it can show (a secret of "*" included)
    assert repr(sealed) == "SecretStr('**********')"
    assert str(sealed) == "**********"


def test_a_bad_secret_key_is_named_without_its_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ConfigError) as raised:
        load_settings(secret_key=["not", "text"], port="0")

    assert raised.value.message.endswith("AIOPS_SECRET_KEY: must be text")
    assert "not" not in raised.value.message.replace("AIOPS_SECRET_KEY: must be text", "")
    assert "AIOPS_PORT: must be >= 1 (got '0')" in raised.value.message


def test_variable_names_ignore_case_and_unknown_ones_are_ignored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("aiops_port", "8123")
    monkeypatch.setenv("AIOPS_NO_SUCH_SETTING", "x")
    monkeypatch.setenv("AIOPS_AGENT_COMMANDS", '{"codex": ["codex", "--fast"]}')

    settings = load_settings()

    assert settings.port == 8123
    assert settings.agent_commands == {"codex": ["codex", "--fast"]}


def test_env_example_as_a_dotenv_gives_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiops.config import default_ansible_dir

    example = Path(__file__).parents[2] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.upper().startswith("AIOPS_")]:
        monkeypatch.delenv(name)  # the environment would win over .env

    settings = load_settings()

    assert settings.ansible_dir == default_ansible_dir()
    assert (settings.admin_email, settings.secret_key, settings.launcher_socket) == (None,) * 3
    assert settings.database_url == f"sqlite:///{tmp_path / 'instance' / 'aiops.db'}"

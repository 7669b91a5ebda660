"""The run page in a real browser against `aiops serve` and the real ansible-runner: the admin
starts a slow playbook from the Automation form, sees its events arrive without reloading,
reloads mid-run, and ends with every event exactly once (seq 1..N) and the summary."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.accounts import open_folder
from tests.browser.conftest import LiveServer
from tests.browser.test_workspace_card import sign_in

SLOW = """# Slow steps: twelve short sleeps, to watch a run live.
---
- name: Slow steps
  hosts: all
  gather_facts: false
  tasks:
    - name: Step
      ansible.builtin.command: sleep 0.4
      loop: "{{ range(1, 13) | list }}"
      changed_when: false
"""
SEQS = "[...document.querySelectorAll('#run-events li')].map((li) => Number(li.dataset.seq))"


@pytest.fixture(scope="module")
def live_server_env() -> Iterator[dict[str, str]]:
    ansible = open_folder("aiops-ansible-")
    (ansible / "playbooks").mkdir()
    (ansible / "playbooks" / "slow.yml").write_text(SLOW)
    repo_ansible = Path(__file__).parents[2] / "ansible"
    shutil.copytree(repo_ansible / "inventory", ansible / "inventory")
    yield {"AIOPS_ANSIBLE_DIR": str(ansible), "AIOPS_PLAYBOOKS": "slow"}
    shutil.rmtree(ansible, ignore_errors=True)


def test_run_page_shows_events_live_and_a_reload_loses_or_doubles_none(
    page: Any, live_server: LiveServer
) -> None:
    sign_in(page, live_server)
    page.click("nav >> text=Automation")
    page.wait_for_url(live_server.base_url + "/automation")
    assert "Slow steps" in page.inner_text("dl.playbooks")
    page.select_option("#run-form select[name=playbook]", "slow")
    page.click("#run-form button[type=submit]")
    page.wait_for_url("**/automation/runs/*")
    run_url = page.url

    # Events arrive while the page stays put (no navigation: the same document grows).
    # (waits use locators: the page's CSP forbids the eval that wait_for_function needs)
    events = page.locator("#run-events li")
    events.nth(2).wait_for()
    page.evaluate("window.__samePage = true")
    seen = len(page.evaluate(SEQS))
    events.nth(seen).wait_for()
    assert page.evaluate("window.__samePage") is True
    assert page.inner_text("#run-status") == "running"
    page.screenshot(path=str(page.output / "live.png"), full_page=True)

    page.reload()  # mid-run: the page renders what is stored, the stream goes on from there
    assert page.evaluate("window.__samePage === undefined")
    page.wait_for_selector("#run-summary:not([hidden])", timeout=60_000)
    live = page.evaluate(SEQS)
    assert live == list(range(1, len(live) + 1))  # every event once, in order
    assert page.inner_text("#run-status") == "successful"
    assert page.inner_text("#run-rc") == "0"
    assert page.locator("#cancel-form").count() == 0
    cells = page.locator("#summary-rows tr").first.locator("td").all_inner_texts()
    assert cells == ["localhost", "1", "0", "0", "0", "0"]
    kinds = page.locator("#run-events .kind").all_inner_texts()
    assert kinds.count("runner_item_on_ok") == 12
    assert kinds[-1] == "playbook_on_stats"
    page.screenshot(path=str(page.output / "done.png"), full_page=True)

    page.goto(run_url)  # what the server stored is what the browser was streamed
    assert page.evaluate(SEQS) == live

"""Writes to trackers for the issue-to-PR loop (issue 19): pull (merge) requests on a code host
(GitHub, GitLab), and comments on an issue (GitHub, GitLab, Jira).

The same adapters as IssueTracker implement these (GitHubTracker and GitLabTracker both,
JiraTracker IssueComments only), over the same TrackerHttp: the network guard, rate limits and
retries of 5xx. They raise the Tracker* errors of aiops.domain.model.trackers; a 403 names the
scope the token lacks (GitHub `pull_requests:write` / `issues:write`, GitLab `api`, Jira
"Add comments"), as TrackerAuthFailed.
"""

from __future__ import annotations

from typing import Protocol

from aiops.domain.model.pull_requests import RemotePull
from aiops.ports.issue_tracker import TrackerTarget


class CodeHost(Protocol):
    def find_pull(self, target: TrackerTarget, *, head: str) -> RemotePull | None:
        """The most recent pull request from branch `head` of the target repository (open,
        draft, merged or closed), or None: how a retried "open" finds the one it made."""
        ...

    def open_pull(
        self,
        target: TrackerTarget,
        *,
        head: str,
        base: str,
        title: str,
        body: str,
        draft: bool = False,
    ) -> RemotePull:
        """Open a pull request from `head` into `base` (GitHub `POST /repos/{o}/{r}/pulls`,
        GitLab `POST /projects/:id/merge_requests`)."""
        ...

    def pull(self, target: TrackerTarget, number: int) -> RemotePull:
        """The pull request as it is now: state, checks (their summary and the failing ones),
        review state, and the unresolved review comments."""
        ...


class IssueComments(Protocol):
    def find_comment(self, target: TrackerTarget, issue: str, marker: str) -> str | None:
        """The id of a comment on the issue whose body holds `marker`, or None. `issue` is the
        issue's number as synced: "#12" (GitHub, GitLab) or "OPS-7" (Jira)."""
        ...

    def add_comment(self, target: TrackerTarget, issue: str, body: str) -> str:
        """Post `body` (Markdown; Jira gets it as ADF) on the issue; the new comment's id."""
        ...

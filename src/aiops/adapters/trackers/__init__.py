"""Adapters of the IssueTracker port: GitHubTracker, GitLabTracker and JiraTracker, over the
shared machinery of http.py."""

from __future__ import annotations

from aiops.adapters.trackers.github import GitHubTracker
from aiops.adapters.trackers.gitlab import GitLabTracker
from aiops.adapters.trackers.http import RetryPolicy
from aiops.adapters.trackers.jira import JiraTracker

__all__ = ["GitHubTracker", "GitLabTracker", "JiraTracker", "RetryPolicy"]

"""Adapters of the IssueTracker port: GitHubTracker, over the shared machinery of http.py."""

from __future__ import annotations

from aiops.adapters.trackers.github import GitHubTracker
from aiops.adapters.trackers.http import RetryPolicy

__all__ = ["GitHubTracker", "RetryPolicy"]

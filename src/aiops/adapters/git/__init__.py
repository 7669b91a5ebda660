"""Git workspaces with the git CLI, run as each workspace's Linux account (ADR 0009)."""

from aiops.adapters.git.workspaces import GitCliWorkspaces

__all__ = ["GitCliWorkspaces"]

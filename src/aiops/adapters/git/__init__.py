"""Git workspaces with dulwich (writes, transport) and the git CLI (status)."""

from aiops.adapters.git.workspaces import DulwichGitWorkspaces

__all__ = ["DulwichGitWorkspaces"]

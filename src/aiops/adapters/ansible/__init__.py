"""Ansible: the playbook catalogue on disk, and ansible-runner running playbooks.

`runner` imports ansible_runner: import it only when a run starts (the container does)."""

from aiops.adapters.ansible.catalogue import FilePlaybookCatalogue

__all__ = ["FilePlaybookCatalogue"]

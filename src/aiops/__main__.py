"""`python -m aiops`: the same as the `aiops` command."""

from aiops.entrypoints.command import main

main()

"""The HTTP entrypoint (Starlette)."""

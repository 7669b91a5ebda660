"""Ports: the Protocols use cases depend on.

Adapters implement them; the in-memory fakes in tests/fakes.py implement them too.
"""

"""Adapters: one module or package per technology, each implementing a port."""

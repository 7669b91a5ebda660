"""Entities and value objects (attrs, frozen)."""

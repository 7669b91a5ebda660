"""The pure core: entities, value objects, domain errors and use cases.

Nothing in this package imports a framework or an adapter library; a test enforces it.
"""

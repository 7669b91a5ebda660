"""Persistence on SQLAlchemy Core: tables, row mapping, repositories, unit of work, migrations."""

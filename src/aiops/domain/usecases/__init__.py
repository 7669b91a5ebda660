"""Use cases: one verb each, ports by keyword in __init__, one frozen command in __call__."""

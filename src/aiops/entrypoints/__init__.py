"""Delivery adapters: HTTP (Starlette), CLI (Typer), scheduler.

Thin: parse input, call one use case, render the result.
"""

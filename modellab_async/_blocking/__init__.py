"""The blocking clients: the async clients driven from synchronous code.

A layer above the clients: an event loop runs in a thread of the blocking
client's own (`_runner`), every blocking method is derived from its async
twin (`_surface`), and each API declares its blocking resources one line per
endpoint beside its async client (`resources/_blocking.py`, `pai/_blocking.py`).
"""

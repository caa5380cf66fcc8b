"""Offer decisioning: the PQL rule language (`pql/`) and a pure decision engine (`engine.py`).

Pure modules take and return plain data; see docs/decisioning.md for the pipeline and contracts.
"""

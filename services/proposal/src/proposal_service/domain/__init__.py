"""Use cases of the proposal service: keyword-only functions, one commit each.

bodies: bodies, sessions, categories and members; filing: drafting, cosigning,
submission and withdrawal; review: the committee staff's decisions; queries:
reading, lists, search, similar items and the timeline; projection: the
public status kept from the assignment and evaluation services' events.
Rules that need no database live in status.py (the status transitions) and access.py.
"""

"""Use cases of the assignment service: keyword-only functions, one commit each.

units: the unit tree; assigning: assignment, acknowledgement, adjustment requests
and extensions; handling: contacts, opinions, progress notes, replies and rehandling;
supervision: the deadline scanner and the overdue lists; plans: handling plans;
projection: what the proposal and evaluation services' events tell this service.
Rules that need no database are in access.py, deadlines.py, plan_progress.py
(a plan's progress and phase) and the calendar (workdays.py).
"""

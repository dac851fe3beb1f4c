"""Use cases of the evaluation service: keyword-only functions, one commit each.

filing: the filing counts; ratings: satisfaction evaluations (征询意见表) of replies,
with entitlement, the evaluation window and the rehandling trigger; windows: the window
as a rater sees it before rating (its last day, working days left); projection:
what the proposal and assignment services' events tell this service.
"""

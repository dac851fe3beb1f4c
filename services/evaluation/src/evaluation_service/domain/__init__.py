"""Use cases of the evaluation service: keyword-only functions, one commit each.

filing: the filing counts; ratings: satisfaction evaluations (征询意见表) of replies,
with entitlement, the evaluation window and the rehandling trigger; projection:
what the proposal and assignment services' events tell this service.
"""

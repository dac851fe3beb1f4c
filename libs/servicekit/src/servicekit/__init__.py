"""Infrastructure shared by the platform's services.

Only plumbing lives here (settings, database sessions, the event envelope,
outbox, inbox, Kafka clients, problem+json errors, health and logging); every
domain rule belongs to the service that owns it.
"""

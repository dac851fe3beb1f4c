"""Accounts and sign-in: argon2id passwords, EdDSA access tokens, rotating refresh
tokens with reuse detection, the JWKS, and throttling of failed logins.

Tables and schemas are in ``models``, use cases in ``service``, routes in ``api``,
the operators' command line in ``__main__`` (``python -m gateway_service.accounts``).
"""

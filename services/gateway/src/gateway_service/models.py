"""Tables of the gateway (accounts and API keys arrive with the identity work)."""

"""The notification service: tells people what needs them (DESIGN section 3)."""

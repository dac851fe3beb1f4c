"""Events the gateway publishes on its topic (none yet)."""

from servicekit.events import EventRegistry

registry = EventRegistry(source="/services/gateway")

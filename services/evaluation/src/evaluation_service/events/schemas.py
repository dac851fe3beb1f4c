"""Events the evaluation service publishes on its topic (contracts in contracts/events/)."""

from servicekit.events import EventRegistry

registry = EventRegistry(source="/services/evaluation")

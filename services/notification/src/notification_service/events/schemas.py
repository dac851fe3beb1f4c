"""Events the notification service publishes: none yet. Its topic exists so that it can add
some (e.g. a delivery that failed for good) without changing the deployment."""

from servicekit.events import EventRegistry

registry = EventRegistry(source="/services/notification")

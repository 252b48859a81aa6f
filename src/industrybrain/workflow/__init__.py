"""Shared workflow engine: declarative state machines (definition.py), the transition service
(services.py) and the transition log (models.Transition)."""

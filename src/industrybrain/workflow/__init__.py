"""Shared workflow engine: state machines with working-day SLA clocks and audited transitions."""

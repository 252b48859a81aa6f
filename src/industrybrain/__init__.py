"""IndustryBrain (产业大脑)."""

__version__ = "0.1.0"

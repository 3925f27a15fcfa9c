"""Helpers behind the System Design Hands-On lessons and exercises: one module per concept."""

"""Reusable test helpers (stand-in servers) shared by several test folders."""

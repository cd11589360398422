"""Stylist: a conversational fashion stylist."""

"""Widgets: browser credentials and what embedded widgets read and do."""

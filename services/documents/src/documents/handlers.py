"""Event handlers (event in → use case). None yet: see `subscriptions.py`."""

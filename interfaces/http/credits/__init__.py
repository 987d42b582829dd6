"""``/credits/*`` and ``/image-usage*``: the customer's credits, their ledger and image usage."""

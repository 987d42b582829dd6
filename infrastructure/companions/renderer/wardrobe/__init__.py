"""How each kind of item is drawn, one module per body region (see ``items.py``)."""

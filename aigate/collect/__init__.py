"""Evidence collectors, one module per evidence kind (see ``interface.py``)."""

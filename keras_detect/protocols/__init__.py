"""Evaluation protocols that train models of their own (held-out sources)."""

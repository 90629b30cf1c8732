"""Reporting: the paper's tables and figures, computed from the prediction store."""

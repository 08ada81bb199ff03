"""Rewriting: the rule catalog, matching, the rewrite engine and canonical forms."""

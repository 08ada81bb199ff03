"""The language: expression trees, names, the function registry and the parser (SPEC §1)."""

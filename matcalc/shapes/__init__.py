"""Types: symbolic dimensions, the type environment and shape inference (SPEC §1)."""

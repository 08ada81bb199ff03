"""Numbers: evaluation of trees with NumPy, random data, finite-difference checks."""

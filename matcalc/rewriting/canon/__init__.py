"""Canonical forms: the silent bookkeeping every rewrite is followed by.

Nothing here is an identity a reader would want to see cited: flattening
nested sums and products, folding numbers, dropping ``0``, ``1`` and ``I``,
``(A^T)^T = A``, and moving scalar factors to the front of a product (they
commute).  One module per family of nodes (sums, products, powers, structural
forms) registers its simplifiers with ``dispatch``.
"""

from . import powers, products, structural, sums  # noqa: F401  (they register their simplifiers)
from .basics import is_zero, zero_like
from .dispatch import canon
from .products import product_atoms
from .sums import like_key

__all__ = ["canon", "is_zero", "like_key", "product_atoms", "zero_like"]

"""Checking a hand-derived answer (SPEC §10): read it in the problem's
symbols, compare it with the answer on random data, name the mistake."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .verdict import Comparison

__all__ = ["Comparable", "Comparison", "compare_answer"]


class Comparable:
    """What a Derivation inherits: ``compare`` (SPEC §10)."""

    def compare(self, candidate: str, input: str | None = None) -> Comparison:
        """Is a hand-derived answer (matcalc's language or LaTeX: a backslash, or
        ``input="latex"``) right, and if not, which mistake is it?"""
        from .verdict import compare_answer            # NumPy is imported when numbers are asked for
        return compare_answer(self, candidate, input)


def __getattr__(name: str):
    # Comparison and compare_answer load with NumPy, on first use (a derivation alone needs neither).
    if name in ("Comparison", "compare_answer"):
        from . import verdict
        return vars(verdict)[name]
    raise AttributeError(name)

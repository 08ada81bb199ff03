"""Checking a hand-derived answer (SPEC §10): read it in the problem's
symbols, compare it with the answer on random data, name the mistake."""

from .verdict import Comparison, compare_answer

__all__ = ["Comparable", "Comparison", "compare_answer"]


class Comparable:
    """What a Derivation inherits: ``compare`` (SPEC §10)."""

    def compare(self, candidate: str) -> Comparison:
        """Is a hand-derived answer (matcalc's language) right, and if not, which mistake is it?"""
        return compare_answer(self, candidate)

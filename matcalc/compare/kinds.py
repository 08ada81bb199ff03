"""Which mistake a candidate makes (SPEC §10), each kind decided by a test
that holds at every random point, not at one:

equal          C = G
layout         C = G^T, of the transposed shape (the other layout)
shape          C has neither G's shape nor its transpose's
sign           C = -G, or C = G - 2t for one term t of G (or of C)
factor         C = k G with one constant k at every point
transpose      C = G^T, same (square) shape
order          C with the factors of one product reordered is G
missing-term   C = G ∓ t for one term t of G, or C - c = G for a term c of C
symmetric-only C = G once a matrix is drawn symmetric (or a vector a
               probability vector), which the where-clause does not say
different      none of these
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from ..language import ast as A
from ..numeric.evaluate import Point
from .numbers import Sample, close, rounding_floor, value_of
from .variants import reordered, term_candidates

RATIO_TOLERANCE = 1e-8


@dataclass(frozen=True)
class Finding:
    kind: str
    detail: str = ""          # the factor, the term, the reordered product, the assumption
    reason: str = ""          # why, one clause
    transposed: bool = False  # decided on the candidate's transpose (another layout too)


@dataclass(frozen=True)
class Compared:
    """What the decisions evaluate: the function, its answer (with a
    program's names), the written-out answer (None when too large) and the
    candidate, in one TypeEnv."""
    function: A.Expr
    env: object
    answer: A.Expr
    names: tuple
    written: A.Expr | None
    candidate: A.Expr
    show: object              # expression → text
    other_layout: str = "numerator"   # the layout whose form is the answer transposed


def _oriented(value, transposed):
    return None if value is None else (value.T if transposed else value)


def _all(found: list[Sample], test) -> bool:
    return all(test(s) for s in found)


def decide(problem: Compared, found: list[Sample]) -> Finding:
    first = found[0]
    if _all(found, lambda s: close(s.candidate, s.answer, s.floor)):
        return Finding("equal")
    if any(s.candidate is None for s in found):
        return Finding("different", reason="it cannot be evaluated where the function is defined")
    answer_shape, candidate_shape = first.answer.shape, first.candidate.shape
    if candidate_shape not in (answer_shape, answer_shape[::-1]):
        return Finding("shape", reason="its shape is neither the answer's nor the transposed one")
    transposed = candidate_shape != answer_shape
    if transposed and _all(found, lambda s: close(s.candidate.T, s.answer, s.floor)):
        return Finding("layout", reason=f"it is the answer transposed: the {problem.other_layout}-layout form")
    finding = _mistake(problem, found, transposed) or Finding("different", reason="it is none of the usual mistakes")
    if transposed:      # decided on the candidate's transpose
        finding = replace(finding, transposed=True, reason=f"{finding.reason}, and transposed ({problem.other_layout} layout)")
    return finding


def _mistake(problem: Compared, found: list[Sample], transposed: bool) -> Finding | None:
    value = lambda s: s.candidate.T if transposed else s.candidate
    if _all(found, lambda s: close(value(s), -s.answer, s.floor)):
        return Finding("sign", "-1", "it is the answer negated")
    ratio = _constant_ratio(found, value)
    if ratio is not None:
        return Finding("factor", _fraction(ratio), f"it is {_fraction(ratio)} times the answer")
    symbol_factor = _scalar_symbol_factor(problem, found, value)
    if symbol_factor is not None:
        return symbol_factor
    if not transposed and _all(found, lambda s: close(s.candidate, s.answer.T, s.floor)):
        return _reordering(problem, found, transposed) or Finding("transpose", reason="it is the answer transposed")
    return (_reordering(problem, found, transposed) or _term_mistake(problem, found, value, transposed)
            or _assumption(problem, found, transposed))


def _constant_ratio(found, value) -> float | None:
    """k when the candidate is k times the answer at every point where the
    answer is not zero (and zero where it is), at two points at least."""
    ratios = []
    for s in found:
        norm = float(np.sum(s.answer * s.answer))
        if close(s.answer, np.zeros_like(s.answer), s.floor):
            if not close(value(s), np.zeros_like(s.answer), s.floor):
                return None
            continue
        ratio = float(np.sum(value(s) * s.answer)) / norm
        if ratio == 0 or not close(value(s), ratio * s.answer, s.floor):
            return None
        ratios.append(ratio)
    if len(ratios) >= 2 and all(abs(r - ratios[0]) <= RATIO_TOLERANCE * abs(ratios[0]) for r in ratios):
        return ratios[0]
    return None


def _scalar_symbol_factor(problem, found, value) -> Finding | None:
    """C = k α G or C = k G / α for a scalar symbol α: a factor α forgotten or put in twice."""
    for name, info in problem.env.symbols.items():
        if info.kind != "scalar" or name not in A.symbol_names(problem.function):
            continue
        for power in (1, -1):
            scaled = lambda s: value(s) / float(s.point.values[name][0, 0]) ** power
            ratio = _constant_ratio(found, scaled)
            if ratio is not None:
                shown = problem.show(A.Symbol(name))
                factor = (f"{_fraction(ratio)} " if ratio != 1 else "") + shown if power == 1 else \
                    f"{_fraction(ratio)}/{shown}"
                return Finding("factor", factor, f"it is {factor} times the answer")
    return None


def _fraction(ratio: float) -> str:
    """The factor as a reader writes it: 2, 1/2, -3/4; a decimal if no small fraction is that close."""
    nice = Fraction(ratio).limit_denominator(1000)
    if abs(float(nice) - ratio) <= RATIO_TOLERANCE * abs(ratio):
        return str(nice)
    return f"{ratio:.6g}"


def _reordering(problem, found, transposed) -> Finding | None:
    if isinstance(problem.candidate, A.Transpose):
        return None
    for variant in reordered(problem.candidate):
        if _all(found, lambda s: close(_oriented(value_of(variant, s.point), transposed), s.answer, s.floor)):
            return Finding("order", problem.show(variant),
                           f"the factors of a product are in the wrong order: {problem.show(variant)} is right")
    return None


def _term_values(expressions, found, transposed, names=()):
    values = []
    for term in expressions:
        at = [_oriented(value_of(term, s.point, names), transposed) for s in found]
        if all(v is not None for v in at):
            values.append((term, at))
    return values


def _term_mistake(problem, found, value, transposed) -> Finding | None:
    show = problem.show
    candidate_terms = term_candidates(problem.candidate)
    if candidate_terms and len(candidate_terms) > 1:
        for term, at in _term_values(candidate_terms, found, transposed):
            if all(close(t, value(s), s.floor) for s, t in zip(found, at)):
                continue
            shifted = lambda k: all(close(value(s) + k * t, s.answer, s.floor) for s, t in zip(found, at))
            if shifted(-1):
                return Finding("missing-term", show(term), f"the term {show(term)} is one too many")
            if shifted(-2):
                return Finding("sign", show(term), f"the term {show(term)} has the wrong sign")
    answer_terms = term_candidates(problem.written) if problem.written is not None else None
    if answer_terms and len(answer_terms) > 1:
        for term, at in _term_values(answer_terms, found, False, ()):
            if all(close(t, s.answer, s.floor) for s, t in zip(found, at)):
                continue                  # the whole answer: missing it is no missing term
            shifted = lambda k: all(close(value(s), s.answer + k * t, s.floor) for s, t in zip(found, at))
            if shifted(-1):
                return Finding("missing-term", show(term), f"the term {show(term)} of the answer is missing")
            if shifted(1):
                return Finding("missing-term", show(term), f"the term {show(term)} is there twice")
            if shifted(-2):
                return Finding("sign", show(term), f"the term {show(term)} has the wrong sign")
    return None


def assumptions(function: A.Expr, env) -> list[tuple[str, str]]:
    """(symbol, "symmetric" | "probability vector") for each assumption the
    where-clause could make but does not."""
    used = A.symbol_names(function)
    found = []
    for name, info in env.symbols.items():
        if name not in used:
            continue
        if info.kind == "matrix" and info.rows == info.cols and not (info.symmetric or info.positive_definite):
            found.append((name, "symmetric"))
        if info.kind in ("vector", "matrix") and not info.probability:
            found.append((name, "probability vector"))
    return found


def assumed(point: Point, name: str, assumption: str) -> Point:
    values = dict(point.values)
    value = values[name]
    if assumption == "symmetric":
        values[name] = (value + value.T) / 2
    else:
        positive = np.abs(value) + 0.5
        values[name] = positive / positive.sum(axis=0, keepdims=True)
    return Point(values, point.sizes, point.tangents)


def _assumption(problem, found, transposed) -> Finding | None:
    for name, assumption in assumptions(problem.function, problem.env):
        agree = True
        for s in found:
            point = assumed(s.point, name, assumption)
            expected = value_of(problem.answer, point, problem.names)
            got = _oriented(value_of(problem.candidate, point), transposed)
            measured = () if problem.written is None else (problem.written,)
            if expected is None or not close(got, expected, rounding_floor(measured, problem.candidate, point)):
                agree = False
                break
        if agree:
            what = f"{name} is symmetric" if assumption == "symmetric" else f"{name} is a probability vector"
            return Finding("symmetric-only", what,
                           f"it is right only if {what}, which the where-clause does not say "
                           f"(declare {name}: {assumption} if it is)")
    return None

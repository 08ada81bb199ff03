"""Every gradient of a program checked at once, along joint directions.

Checking each parameter along its own directions moves one parameter at a
time, and recomputes the statements after it: half the program per
parameter, a cost that grows with the square of the depth.  Here all the
parameters of a group move at once, along

    V = Σ_p c_p λ_p V_p,

V_p one of the parameter's own directions (``directional.directions``), c_p
a random weight of random sign (0.5 ≤ |c_p| ≤ 1.5) and λ_p ≤ 1 a scale that
gives every parameter the same share |⟨G_p, λ_p V_p⟩| (the smallest one, but
not below the error floor), so that no parameter's error hides under
another's size.  The differences of l along V cost a few sweeps of the whole
program, whatever the number of parameters, and

    ⟨G, V⟩ - ∂l/∂V = Σ_p c_p λ_p (⟨G_p, V_p⟩ - ∂l/∂V_p)

is a random combination of the parameters' errors, which cancel only by
coincidence (of the random weights, in every one of the joint directions).
Each parameter's error is bounded by the residual over its own share,
|c_p| times the common share.  A group in which some parameter's bound is
above ``SPLIT`` (far below the check's tolerance) is split in two halves,
each checked jointly again, down to single parameters, which are checked
along their own directions as before (so a wrong answer is measured as
itself).  A group is right when every bound, the differences' own error
added, is below ``SPLIT``: that sum is what it reports.  A right program
costs a few sweeps per joint direction; one wrong parameter adds about
2 log₂(parameters) joint checks.  (A group whose differences do not settle
is not split: another point is tried, as for a single parameter.)
"""

from __future__ import annotations

import numpy as np

from .differences import error_floor
from .directional import RANDOM_DIRECTIONS, directional_slope, directions, form_error, gradient_error

SPLIT = 1e-7              # a group whose bounds exceed this is checked in halves (the tolerance is 1e-5)


def program_errors(program, answers: dict, symmetric: dict, rng, trusted: float) -> dict:
    """wrt → (error, uncertainty) of each gradient ``answers[wrt]`` of the
    program (``program.ProgramValues``) at its point; ``symmetric[wrt]`` tells
    whether the parameter is a symmetric matrix."""
    value = program.value
    results, measurable = {}, []
    for wrt, answer in answers.items():
        defect = form_error(answer, program.values[wrt], symmetric[wrt], value)
        if np.isfinite(defect):
            measurable.append(wrt)
        results[wrt] = (defect, 0.0)
    for wrt, (error, uncertainty) in _group_errors(program, answers, symmetric, measurable, rng, trusted).items():
        results[wrt] = (max(results[wrt][0], error), uncertainty)
    return results


def _group_errors(program, answers: dict, symmetric: dict, group: list, rng, trusted: float) -> dict:
    if not group:
        return {}
    if len(group) == 1:
        wrt, = group
        return {wrt: gradient_error(lambda moved: program.moved(wrt, moved), answers[wrt], program.values[wrt],
                                    symmetric[wrt], program.value, rng, trusted)}
    bounds = _joint_bounds(program, answers, symmetric, group, rng)
    if max(uncertainty for _, uncertainty in bounds.values()) > SPLIT:
        return bounds       # the differences did not settle: this point will not do, another is tried
    if max(error + uncertainty for error, uncertainty in bounds.values()) <= SPLIT:
        # right: each parameter's error is at most its bound plus the differences' error
        return {wrt: (error + uncertainty, 0.0) for wrt, (error, uncertainty) in bounds.items()}
    half = len(group) // 2
    return {**_group_errors(program, answers, symmetric, group[:half], rng, trusted),
            **_group_errors(program, answers, symmetric, group[half:], rng, trusted)}


def _joint_bounds(program, answers: dict, symmetric: dict, group: list, rng) -> dict:
    """wrt → (bound of its relative error, of its uncertainty) from the
    joint directions (the answer's own, then the random ones)."""
    value = program.value
    bases = [program.values[wrt] for wrt in group]
    per_parameter = [directions(answers[wrt], base, symmetric[wrt], rng) for wrt, base in zip(group, bases)]
    floor = error_floor(value)
    worst = {wrt: (0.0, 0.0) for wrt in group}
    for k in range(1 + RANDOM_DIRECTIONS):
        chosen = [found[k % len(found)] for found in per_parameter]
        shares = [max(abs(float(np.sum(answers[wrt] * direction))),
                      float(np.max(np.abs(answers[wrt] * direction))),
                      floor * float(np.max(np.abs(direction))))
                  for wrt, direction in zip(group, chosen)]
        common = min(shares)            # each parameter's share scaled down to it (λ_p = common / share_p)
        weights = rng.uniform(0.5, 1.5, len(group)) * rng.choice((-1.0, 1.0), len(group))
        joint = [weight * common / share * direction for weight, share, direction in zip(weights, shares, chosen)]
        claimed, slope, uncertainty, _ = directional_slope(
            _flat_mover(program, group, bases), _flat(answers[wrt] for wrt in group), _flat(joint),
            _flat(bases), value)
        residual = abs(claimed - slope) if np.isfinite(slope) else np.inf
        for wrt, weight in zip(group, weights):
            share = float(abs(weight) * common)         # a Python float: the figure goes to JSON
            error, spread = worst[wrt]
            worst[wrt] = (max(error, residual / share), max(spread, uncertainty / share))
        if max(spread for _, spread in worst.values()) > SPLIT:
            break                       # unsettled along one direction: the point will not do
    return worst


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.ravel(array) for array in arrays])


def _flat_mover(program, group: list, bases: list):
    """l with every parameter of ``group`` moved by its part of a flat displacement."""
    ends = np.cumsum([base.size for base in bases])
    starts = ends - [base.size for base in bases]

    def moved(displacement: np.ndarray) -> np.ndarray:
        return program.moved_many({wrt: displacement[start:end].reshape(base.shape)
                                   for wrt, base, start, end in zip(group, bases, starts, ends)})
    return moved

"""An answer with its named values written out (SPEC §7: each gradient keeps
its written-out result), and the lines that show how it came to read as it
does: the names written out, then each rule that made that form read as the
books do (softmax-definition: exp(x) / a1 with a1 = 1^T exp(x) is
softmax(x); sign-into-sum: -(y - W x) x^T is (W x - y) x^T)."""

from __future__ import annotations

from ..language import ast as A
from ..rewriting.canon import canon
from ..rewriting.engine import Context, rewrite_everywhere
from .answers import sign_into_sum_rule
from .steps import Label, StepLog

SOFTMAX_DEFINITIONS = ("softmax-definition", "softmax-definition-sum", "softmax-diag", "softmax-outer")
WRITTEN_OUT = "written-out"                 # the engine step: every named value replaced by its definition


def write_out(answer, names, context: Context) -> A.Expr:
    """``answer`` with every named value written out."""
    plain, changes = _written_out(answer, names, context)
    return changes[-1][1] if changes else plain


def record_written_out(log: StepLog, label: Label, answer, names, context: Context) -> A.Expr:
    """``write_out``, with its lines added to ``log`` where a rule made the
    written-out form (the summary prints the result: the steps say how)."""
    plain, changes = _written_out(answer, names, context)
    if not changes:
        return plain
    if plain != answer:
        log.add(WRITTEN_OUT, label, plain)
    for rules, after in changes:
        log.add(rules[0], label, after, rules)
    return changes[-1][1]


def _written_out(answer, names, context: Context) -> tuple:
    """(the answer with the names written out, [(rules, expression)] for each
    rule applied to it after)."""
    # Definitions refer to earlier names only: write them out in order, then
    # substitute all at once (one pass, however deep the network).
    written: dict = {}
    for name, definition in names:
        written[A.Symbol(name)] = A.substitute(definition, written)
    plain = canon(A.substitute(answer, written) if written else answer, context.env)
    changes = []
    defined, used = rewrite_everywhere(SOFTMAX_DEFINITIONS, plain, context)
    if used:
        changes.append((tuple(used), defined))
    signed, rule = sign_into_sum_rule(defined, context.env)
    if rule is not None:
        changes.append(((rule,), signed))
    return plain, changes

"""The one recorder a method writes its steps through (SPEC §3)."""

from __future__ import annotations

from ..steps import Label, StepLog


class Recorder:
    """``record(rule, expression, rules[, label])`` appends a step to the
    derivation's log, under the line's own label or the differential's."""

    def __init__(self, log: StepLog, label: Label, function: str):
        self.log = log
        self.label = label
        self.function = function          # l, f, g: what the method's labels are about

    def __call__(self, rule: str, after, rules, label: Label | None = None) -> None:
        self.log.add(rule, label or self.label, after, rules)

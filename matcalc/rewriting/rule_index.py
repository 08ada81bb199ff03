"""What the engine reads off the rules of one pass, once per catalog: at
which node types each rule can match, and which operand types a match there
needs.  Rules never change, and a pass visits every node of a tree with
every rule that can match at its type; asking a rule's left side again at
each visit was most of the cost of a pass that finds nothing to do."""

from __future__ import annotations

from typing import Callable, NamedTuple

from ..language import ast as A
from .catalog import Catalog, Rule

NARY = (A.Add, A.Product, A.Hadamard, A.Kron)


class Window(NamedTuple):
    """A product left side read for windows of a product's factors."""
    needs: frozenset        # the node types of its operands that are no variable
    first: type | None      # the node type its first operand must have (None: a variable)
    last: type | None
    width: int
    fixed: bool             # no operand is a variable: windows are exactly as wide


class Candidate(NamedTuple):
    """A rule that can match at nodes of one type."""
    name: str
    rule: Rule
    # The operand types a match at the root needs among the node's operands
    # (empty for a bare variable); None: ask ``below``.
    root_needs: frozenset | None
    window: Window | None   # a product rule at a product: its windows
    pairs: bool             # a sum rule at a sum: its pairs of terms
    # Of a left side neither variable nor n-ary: the engine's _may_match
    # below the root, as one test made ahead (None: nothing to ask).
    below: Callable | None = None


class RulePass:
    """The rules of one pass (their names, in order), with the node types
    that must occur in a tree for some rule to match (``needed``)."""

    def __init__(self, names: tuple, catalog: Catalog):
        self.names = names
        self._catalog = catalog
        self._at: dict = {}
        self.needed = _least(_needed(catalog[name]) for name in names)
        # The same as (the bits of the node types, whether a probability vector is needed too).
        self.needed_bits = tuple((sum(kind._type_bit for kind in types if kind != "probability"),
                                  "probability" in types) for types in self.needed)
        self._possible: dict = {}      # types_mask → possible(types_mask), once asked

    def possible(self, present: int):
        """Whether some rule of the pass may match in a tree that holds the
        node classes ``present`` (a types_mask): True, False, or "probability"
        when only if a probability vector occurs too.  A function of the
        pass and the mask alone, asked of the few masks trees have."""
        found = self._possible.get(present)
        if found is None:
            found = False
            for bits, probability in self.needed_bits:
                if present & bits == bits:
                    if not probability:
                        found = True
                        break
                    found = "probability"
            self._possible[present] = found
        return found

    def at(self, node_type) -> tuple:
        """The candidates, in the pass's order, whose left side can match at
        a node of ``node_type`` (at its root, or in a window or pair of its
        operands, which have the root's type too)."""
        found = self._at.get(node_type)
        if found is None:
            rules = ((name, self._catalog[name]) for name in self.names)
            found = self._at[node_type] = tuple(
                _candidate(name, rule, node_type) for name, rule in rules
                if isinstance(rule.pattern, A.PatternVar) or type(rule.pattern) is node_type)
        return found


def rule_pass(names: tuple, catalog: Catalog) -> RulePass:
    key = ("pass", names)
    found = catalog.facts.get(key)
    if found is None:
        found = catalog.facts[key] = RulePass(names, catalog)
    return found


def _candidate(name: str, rule: Rule, node_type) -> Candidate:
    pattern = rule.pattern
    if isinstance(pattern, A.PatternVar):
        return Candidate(name, rule, frozenset(), None, False)
    if not isinstance(pattern, NARY):
        return Candidate(name, rule, None, None, False, _below(pattern))
    # An operand that is no variable matches one operand of its own type
    # (or, of the pattern's own type, a run of them).
    root_needs = frozenset(type(o) for o in pattern.args
                           if not isinstance(o, A.PatternVar) and type(o) is not node_type)
    window = None
    if node_type is A.Product:
        operands = pattern.args
        fixed = [type(o) for o in operands if not isinstance(o, A.PatternVar)]
        end = lambda o: None if isinstance(o, A.PatternVar) else type(o)
        window = Window(frozenset(fixed), end(operands[0]), end(operands[-1]), len(operands),
                        len(fixed) == len(operands))
    return Candidate(name, rule, root_needs, window, node_type is A.Add)


def _least(sets) -> tuple:
    """The distinct sets that contain no other: a tree holds some set when it
    holds one of these (a pass of 40 rules asks a handful)."""
    distinct = set(sets)
    return tuple(sorted((s for s in distinct if not any(other < s for other in distinct)), key=len))


def _needed(rule: Rule) -> frozenset:
    probability = any("probability" in words for words in rule.conditions.values())
    return _required_types(rule.pattern) | ({"probability"} if probability else frozenset())


def _required_types(pattern: A.Expr) -> frozenset:
    """The node types a match of ``pattern`` needs, by the tests of the engine's ``_may_match``."""
    if isinstance(pattern, A.PatternVar):
        return frozenset()
    if isinstance(pattern, NARY):
        return frozenset({type(pattern)} | {type(o) for o in pattern.args
                                             if not isinstance(o, A.PatternVar) and type(o) is not type(pattern)})
    return frozenset({type(pattern)}).union(*(_required_types(k) for k in A.children(pattern)))


def root_test(name: str, rule: Rule, catalog: Catalog) -> Callable:
    """The engine's _may_match(rule.pattern, expr) as a function of ``expr``,
    made once per rule and catalog."""
    tests = catalog.facts.get("root tests")
    if tests is None:
        tests = catalog.facts["root tests"] = {}
    test = tests.get(name)
    if test is None:
        test = tests[name] = _test(rule.pattern) or _anything
    return test


def _anything(expr) -> bool:
    return True


def _below(pattern: A.Expr) -> Callable | None:
    """The test of the engine's _may_match(pattern, expr) for an ``expr`` of
    the pattern's own type, as a function of ``expr`` (None: it holds): the
    children's types, down to the first n-ary node or variable."""
    tests = [(index, _test(kid)) for index, kid in enumerate(A.children(pattern))]
    tests = [(index, test) for index, test in tests if test is not None]
    if not tests:
        return None
    if len(tests) == 1:
        ((index, test),) = tests
        return lambda expr: test(expr._children()[index])
    return lambda expr: all(test(expr._children()[index]) for index, test in tests)


def _test(pattern: A.Expr) -> Callable | None:
    """_may_match(pattern, expr) as a function of ``expr`` (None: it holds)."""
    if isinstance(pattern, A.PatternVar):
        return None
    kind = type(pattern)
    if isinstance(pattern, NARY):
        # An operand that is no variable matches one operand of its own type.
        needs = frozenset(type(o) for o in pattern.args if not isinstance(o, A.PatternVar) and type(o) is not kind)
        if needs:
            return lambda expr: type(expr) is kind and needs <= set(map(type, expr.args))
        return lambda expr: type(expr) is kind
    below = _below(pattern)
    if below is None:
        return lambda expr: type(expr) is kind
    return lambda expr: type(expr) is kind and below(expr)

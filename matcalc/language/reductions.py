"""The AST built while Lark's LALR parser reduces: no parse tree (issue 24, fixed cost).

Lark's own inline transformer (``Lark(..., transformer=...)``) cannot give a
rule's method its ``meta`` (the span its carets need), and it drops the
punctuation a span covers (the ``)`` of a call).  So the parser is handed
callbacks of its own, made once from the grammar's rules: each reduction
filters and splices its children as Lark's tree builder does, computes the
span Lark's ``propagate_positions`` would give the rule's tree (a
parenthesised expression covers its parentheses when it is an operand), and
calls ``Build``'s method for the rule with that span and its children.
``parse`` drives Lark's LALR table itself, with Lark's lexer (see there).
tests/test_node_facts.py checks every node and span against Lark's tree walked
by Lark's ``Transformer_NonRecursive``, and every syntax error against Lark's own parse.

The builder of the parse under way is handed to each reduction by the parse
loop (each parse has its own).  A method that raises, or warns, does so only once the
whole text has parsed (``Build.finish``): a syntax error later in the text is
still the one reported, as when the tree was built first and walked after.
"""

from __future__ import annotations

from operator import itemgetter

from lark import Lark, Token, Tree
from lark.parsers.lalr_analysis import Shift
from lark.tree import Meta


class Part:
    """A value on the parser's stack, with the text it takes up: its container,
    as Lark's ``propagate_positions`` computes it (a rule's method reads it as
    its ``meta``)."""
    __slots__ = ("built", "start_pos", "end_pos", "empty")

    def __init__(self, built, start_pos, end_pos):
        self.built = built
        self.start_pos = start_pos
        self.end_pos = end_pos
        self.empty = start_pos is None


_new = object.__new__


class _Spliced(Part):
    """The children of a rule whose name starts with ``_``: the parent takes them in its place."""
    __slots__ = ()


def _bounds(children) -> tuple:
    """Where the first child with a position starts and the last one ends (tokens and parts alike)."""
    start = end = None
    for child in children:
        if child.start_pos is not None:
            start = child.start_pos
            break
    for child in reversed(children):
        if child.end_pos is not None:
            end = child.end_pos
            break
    return start, end


def _same(children, builder):
    """A unit rule (``?sum: negation``): the child itself, its span unchanged."""
    return children[0]


def _reduction(rule, methods: dict):
    """The callback for one grammar rule (see the module's docstring)."""
    name = rule.alias or rule.options.template_source or rule.origin.name
    keep_all = rule.options.keep_all_tokens
    kept = tuple((index, not symbol.is_term and symbol.name.startswith("_"))
                 for index, symbol in enumerate(rule.expansion)
                 if keep_all or not (symbol.is_term and symbol.filter_out))
    inlined = rule.options.expand1 and not rule.alias         # ?rule: one child stands for the rule
    if inlined and len(rule.expansion) == 1 and kept and not kept[0][1]:
        return _same
    method = methods.get(name)
    spliced = name.startswith("_")
    splices = any(expand for _, expand in kept)
    every_child = len(kept) == len(rule.expansion) and not splices
    indices = tuple(index for index, _ in kept)
    picked = itemgetter(*indices) if len(indices) > 1 else None     # (a tuple of the kept children)
    only_index = indices[0] if indices else None

    def reduce(children, builder):
        if children and children[0].start_pos is not None and children[-1].end_pos is not None:
            start, end = children[0].start_pos, children[-1].end_pos     # most rules: no look further
        else:
            start, end = _bounds(children)
        if every_child:
            parts = children                   # Lark hands each reduction a list of its own
        elif not splices:
            parts = picked(children) if picked is not None else (children[only_index],) if indices else ()
        else:
            parts = []
            for index, expand in kept:
                if expand and not parts:
                    # A repetition (x+) is left-recursive: its list so far is
                    # taken over, not copied, or a chain of n factors costs n²
                    # (49,000 juxtaposed names: 8 s).  Nothing else holds it.
                    parts = children[index].built
                elif expand:
                    parts.extend(children[index].built)
                else:
                    parts.append(children[index])
        if spliced:                            # (a list: the rule it is spliced into may extend it)
            return _Spliced(parts if parts.__class__ is list else list(parts), start, end)
        if inlined and len(parts) == 1:
            only = parts[0]
            if only.__class__ is Part and start is not None and (start, end) != (only.start_pos, only.end_pos):
                return Part(only.built, start, end)      # it now covers what the rule does: (x)
            return only
        part = _new(Part)                     # Part(None, start, end) without a call of __init__
        part.built, part.start_pos, part.end_pos, part.empty = None, start, end, start is None
        if builder.failure is not None:       # the first error is the one said, once the text has parsed
            return part
        items = []
        for child in parts:                   # (a loop, not a comprehension's call: once per rule reduced)
            items.append(child.built if child.__class__ is Part else child)
        try:
            part.built = method(builder, part, items) if method else Tree(name, items, _meta(part))
        except Exception as error:            # noqa: BLE001 - raised by Build.finish
            builder.failure = error
        return part

    return reduce


def _meta(part: Part) -> Meta:
    meta = Meta()
    if not part.empty:
        meta.start_pos, meta.end_pos, meta.empty = part.start_pos, part.end_pos, False
    return meta


def callbacks(parser: Lark, methods: dict) -> dict:
    """Rule → the callback that builds its value (``methods``: rule name → ``Build`` method)."""
    return {rule: _reduction(rule, methods) for rule in parser.rules}


def actions(parser: Lark, reductions: dict) -> dict:
    """Lark's LALR table with each reduction's work looked up once: state → token or
    rule name → the state to shift to, or a tuple (callback, size, rule name) to reduce by."""
    table = parser.parser.parser.parser.parse_table
    made = {state: {symbol: (arg if action is Shift else (reductions[arg], len(arg.expansion), arg.origin.name))
                    for symbol, (action, arg) in moves.items()}
            for state, moves in table.states.items()}
    _settle_unit_rules(made, {rule.origin.name for rule in parser.rules}, set(table.end_states.values()))
    return made


class _Goto(dict):
    """The state a reduction goes to, with, for a lookahead, the state a chain of
    unit rules reduced by it then reaches (``?sum: negation``, ``?expr: sum``, ...)."""

    def __init__(self, state: int, settled: dict):
        super().__init__(settled)
        self.state = state


def _settle_unit_rules(table: dict, rules: set, end_states: set) -> None:
    """A unit rule's reduction pops the state its child went to and goes to the
    rule's own from the same state below (S): so after a reduction to N from S,
    a chain of unit rules on lookahead K ends in one state, found here once
    instead of a turn of ``run``'s loop per rule.  The stacks are the ones the
    turns leave (a unit rule keeps its child's value), so an error is met in the same state."""
    unit_moves = {state: [kind for kind, move in moves.items() if move.__class__ is tuple and move[0] is _same]
                  for state, moves in table.items()}
    gotos = {}
    for below, moves in table.items():
        for rule, state in moves.items():
            if rule not in rules or not unit_moves[state]:
                continue
            settled = {}
            for kind in unit_moves[state]:
                reached = state
                while reached not in end_states and (move := table[reached].get(kind)).__class__ is tuple \
                        and move[0] is _same:
                    reached = table[below][move[2]]
                if reached != state:
                    settled[kind] = reached
            if settled:
                gotos[below, rule] = _Goto(state, settled)
    for (below, rule), goto in gotos.items():
        table[below][rule] = goto


def parse(parser: Lark, table: dict, builder, text: str, start: str):
    """The value ``builder``'s methods build for ``text`` from the ``start`` rule;
    Lark's ``UnexpectedInput`` on a syntax error.

    Lark's lexer feeds Lark's LALR table (``actions``) through ``run``.  A token
    the table has no move for is handed to Lark's own ``feed_token``, which
    raises its error from the same state."""
    interactive = parser.parse_interactive(text, start)
    state = interactive.parser_state
    try:
        return run(table, state.state_stack, state.value_stack, ended(state.lexer.lex(state)),
                   state.parse_conf.end_state, builder)
    except NoMove as error:
        state.feed_token(error.token, error.token.type == "$END")     # raises Lark's UnexpectedToken
        raise


def ended(stream):
    """The tokens, then the end where Lark's parser makes it: at the last token, or at the start
    (a post-lexer's stream too: the end comes after it, as in Lark)."""
    token = None
    for token in stream:
        yield token
    yield Token.new_borrow_pos("$END", "", token) if token is not None else Token("$END", "", 0, 1, 1)


class NoMove(Exception):
    """The table has no move for ``token`` in the state on top of the stack."""

    def __init__(self, token):
        super().__init__(token)
        self.token = token


def run(table, states, values, stream, end_state, builder):
    """Lark's ``ParserState.feed_token`` for each token of ``stream`` (the last one
    the end, ``$END``) without the look-ups it repeats at every token (a rule's
    hash, its callback, the state's attributes), and a unit rule's reduction
    leaves its value where it is: each token is shifted after the reductions it
    completes, and at the end the value of the start rule is answered."""
    token = None
    try:
        for token in stream:
            kind = token.type
            while True:
                move = table[states[-1]][kind]
                if move.__class__ is not tuple:
                    states.append(move)
                    values.append(token)
                    break
                reduce, size, origin = move
                if reduce is _same:
                    del states[-1]
                elif size:
                    children = values[-size:]
                    del states[-size:]
                    del values[-size:]
                    values.append(reduce(children, builder))
                else:
                    values.append(reduce([], builder))
                goto = table[states[-1]][origin]
                states.append(goto if goto.__class__ is not _Goto else goto.get(kind, goto.state))
                if states[-1] == end_state:
                    top = values[-1]
                    return top.built if top.__class__ is Part else top
    except KeyError:
        raise NoMove(token) from None
    raise NoMove(token)          # (a stream always ends in $END, whose reductions reach the end state)

"""``matcalc derive|jacobian|hessian EXPR --wrt X`` (SPEC §5)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings

from . import api
from .errors import MatcalcError, MatcalcWarning
from .printers.formats import FORMATS

CHECK_TOLERANCE = 1e-5          # --check says ok below this relative error

EXAMPLES = """examples:
  matcalc derive "-y^T log(softmax(W2 sigma(W1 x)))" --wrt W1 --where "y: probability vector"
  matcalc derive "x^T A x" --wrt x --check
  matcalc derive "a1 = W1 x + b1; h1 = sigma(a1); l = ||W2 h1 - y||^2" --wrt all --where "x, y: data"
  matcalc derive "||X A^T - B||_F^2" --wrt X --format latex
  matcalc derive "logdet(X)" --wrt X --where "X: positive definite" --no-steps
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, like every other error (SPEC §6); --help has the usage.
        print(f"matcalc: error: {message} (see: {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="matcalc", description="Matrix calculus with every step.",
                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, summary in (("derive", "gradient of a scalar function"),
                          ("jacobian", "Jacobian of a vector or matrix function"),
                          ("hessian", "Hessian of a scalar function")):
        command = commands.add_parser(name, help=summary, description=summary, epilog=EXAMPLES,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_argument("expression", help='the function, e.g. "x^T A x"')
        command.add_argument("--wrt", required=True,
                             help="the symbol to differentiate with respect to; for derive also several "
                                  "(W1,b1,W2) or 'all' (every symbol not declared data): one backward pass")
        command.add_argument("--where", default="", help='declarations, e.g. "y: probability vector; S: symmetric"')
        command.add_argument("--format", choices=tuple(FORMATS), default="text")
        command.add_argument("--no-steps", action="store_true", help="print only the answer")
        command.add_argument("--check", action="store_true",
                             help="compare the answer with finite differences on random data")
        command.add_argument("--layout", choices=("mixed", "numerator"), default="mixed")
    return parser


def _render(derivation, options) -> str:
    rendered = derivation.render(options.format, steps=not options.no_steps)
    if isinstance(rendered, str):
        return rendered
    if options.check:
        error = derivation.check()
        finite = math.isfinite(error)          # JSON has no Infinity: a mismatch is null, not ok
        rendered["check"] = {"max_relative_error": error if finite else None,
                             "ok": finite and error < CHECK_TOLERANCE}
    return json.dumps(rendered, ensure_ascii=False, indent=2)


# The options that take a value: the word after one of them is that value.
_VALUE_OPTIONS = ("--wrt", "--where", "--format", "--layout")


def _expression_words_last(argv: list[str]) -> list[str]:
    """argparse reads "-tr(A)" as the unknown option -t, yet an expression
    may well start with a minus.  Every matcalc option is long (--wrt), so a
    word with one leading '-' that is not an option's value is an expression:
    move it behind "--", where argparse takes words as positional."""
    if "--" in argv:
        return argv
    moved = [word for i, word in enumerate(argv) if _is_minus_expression(argv, i)]
    if not moved:
        return argv
    kept = [word for i, word in enumerate(argv) if not _is_minus_expression(argv, i)]
    return kept + ["--"] + moved


def _is_minus_expression(argv: list[str], i: int) -> bool:
    word = argv[i]
    is_value = i > 0 and argv[i - 1] in _VALUE_OPTIONS
    return (word.startswith("-") and not word.startswith("--") and word not in ("-", "-h")
            and not is_value)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    options = _parser().parse_args(_expression_words_last(argv))
    function = getattr(api, options.command)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MatcalcWarning)
            derivation = function(options.expression, wrt=options.wrt, where=options.where,
                                  layout=options.layout)
        for warning in caught:
            print(f"matcalc: warning: {warning.message}", file=sys.stderr)
        print(_render(derivation, options))
        if options.check and options.format != "json":
            error = derivation.check()
            verdict = "ok" if error < CHECK_TOLERANCE else "MISMATCH"
            print(f"\ncheck: max relative error {error:.1e} vs finite differences ({verdict})")
            if not error < CHECK_TOLERANCE:
                return 1
    except MatcalcError as error:
        print(f"matcalc: error: {error.render()}", file=sys.stderr)
        if options.format == "json":           # other programs get the error as JSON too
            print(json.dumps({"error": {"kind": type(error).__name__, "message": error.message,
                                        "text": error.render(), "span": error.span}},
                             ensure_ascii=False, indent=2))
        return 2
    except BrokenPipeError:                    # the reader stopped reading (| head): not an error
        return 0
    except RecursionError:
        print("matcalc: error: the expression is too deeply nested", file=sys.stderr)
        return 2
    except Exception as error:  # a bug in matcalc, not in the input: no traceback either
        print(f"matcalc: internal error ({type(error).__name__}: {error}); please report it "
              "with the command line", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())

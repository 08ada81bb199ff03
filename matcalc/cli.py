"""``matcalc derive|jacobian|hessian EXPR --wrt X`` (SPEC §5)."""

from __future__ import annotations

import argparse
import json
import sys

from .errors import MatcalcError
from .printers.code import TARGETS
from .printers.formats import FORMATS
from .service import CHECK_TOLERANCE, COMMANDS, Request, check_json, derivation_for, error_json

EXAMPLES = """examples:
  matcalc derive "-y^T log(softmax(W2 sigma(W1 x)))" --wrt W1 --where "y: probability vector"
  matcalc derive "x^T A x" --wrt x --check
  matcalc derive "a1 = W1 x + b1; h1 = sigma(a1); l = ||W2 h1 - y||^2" --wrt all --where "x, y: data"
  matcalc derive "||X A^T - B||_F^2" --wrt X --format latex
  matcalc derive "logdet(X)" --wrt X --where "X: positive definite" --no-steps
  matcalc codegen "a1 = W1 x + b1; h1 = sigma(a1); l = ||W2 h1 - y||^2" --wrt all --where "x, y: data" --target torch -o grad.py
  matcalc serve                  # the web page on http://127.0.0.1:8000
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
        command.add_argument("--layout", choices=("mixed", "numerator"), default=None,
                             help="mixed (the default for derive) or numerator (always for jacobian, hessian)")
    _codegen_parser(commands)
    serve = commands.add_parser("serve", help="the web page, on this machine",
                                description="a local web page: type an expression, see every step")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1: "
                                                           "this machine only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--time-limit", type=float, default=10.0,
                       help="seconds a derivation may take before it is stopped (default 10)")
    return parser


def _codegen_parser(commands) -> None:
    summary = "a NumPy, PyTorch or JAX module that computes the answer, with a self-check"
    codegen = commands.add_parser("codegen", help=summary, description=summary, epilog=EXAMPLES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    codegen.add_argument("expression", help='the function or program, e.g. "x^T A x"')
    codegen.add_argument("--wrt", required=True, help="the symbol(s) to differentiate with respect to, or 'all'")
    codegen.add_argument("--where", default="", help='declarations, e.g. "x, y: data"')
    codegen.add_argument("--target", choices=tuple(TARGETS), default="numpy")
    codegen.add_argument("--kind", choices=("gradient", "jacobian", "hessian"), default="gradient",
                         help="gradient(s) (the default), jacobian, or hessian with a Hessian-vector product")
    codegen.add_argument("-o", "--output", help="write the module to this file (default: print it)")


def _write_code(derivation, options) -> int:
    code = derivation.to_python(options.target)
    if not options.output:
        print(code, end="")
        return 0
    try:
        with open(options.output, "w", encoding="utf-8") as file:
            file.write(code)
    except OSError as error:
        print(f"matcalc: error: cannot write {options.output}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"matcalc: wrote {options.output} (python {options.output} checks it)", file=sys.stderr)
    return 0


def _render(derivation, options) -> str:
    rendered = derivation.render(options.format, steps=not options.no_steps)
    if isinstance(rendered, str):
        return rendered
    if options.check:
        rendered["check"] = check_json(derivation)
    return json.dumps(rendered, ensure_ascii=False, indent=2)


# The options that take a value: the word after one of them is that value.
_VALUE_OPTIONS = ("--wrt", "--where", "--format", "--layout", "--target", "--kind", "-o", "--output")


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
    return (word.startswith("-") and not word.startswith("--") and word not in ("-", "-h", "-o")
            and not is_value)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    options = _parser().parse_args(_expression_words_last(argv))
    if options.command == "serve":
        from .web.app import serve             # the web stack loads only for the page
        return serve(options.host, options.port, options.time_limit)
    try:
        caught: list[str] = []
        kind = options.kind if options.command == "codegen" else COMMANDS[options.command]
        request = Request(options.expression, options.wrt, options.where, kind,
                          layout=getattr(options, "layout", None))
        derivation = derivation_for(request, caught)
        for warning in caught:
            print(f"matcalc: warning: {warning}", file=sys.stderr)
        if options.command == "codegen":
            return _write_code(derivation, options)
        print(_render(derivation, options))
        if options.check and options.format != "json":
            error = derivation.check()
            verdict = "ok" if error < CHECK_TOLERANCE else "MISMATCH"
            print(f"\ncheck: max relative error {error:.1e} vs finite differences ({verdict})")
            if not error < CHECK_TOLERANCE:
                return 1
    except MatcalcError as error:
        print(f"matcalc: error: {error.render()}", file=sys.stderr)
        if getattr(options, "format", None) == "json":           # other programs get the error as JSON too
            print(json.dumps(error_json(error), ensure_ascii=False, indent=2))
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

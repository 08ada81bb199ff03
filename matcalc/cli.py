"""``matcalc derive|jacobian|hessian EXPR --wrt X`` (SPEC §5)."""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time

from .calculus.methods import METHODS
from .errors import MatcalcError
from .printers.code import TARGET_NAMES
from .printers.formats import FORMATS
from .service import CHECK_TOLERANCE, COMMANDS, Request, check_json, comparison_for, derivation_for, error_json

EXAMPLES = """examples:
  matcalc derive "-y^T log(softmax(W2 sigma(W1 x)))" --wrt W1 --where "y: probability vector"
  matcalc derive "x^T A x" --wrt x --check
  matcalc derive "x^T A x" --wrt x --compare "2 A x"      # is my answer right? (exit 0 yes, 1 no)
  matcalc derive "a1 = W1 x + b1; h1 = sigma(a1); l = ||W2 h1 - y||^2" --wrt all --where "x, y: data"
  matcalc derive "||X A^T - B||_F^2" --wrt X --format latex
  matcalc derive "logdet(X)" --wrt X --where "X: positive definite" --no-steps
  matcalc derive "sum(sigma(W x))" --wrt W --method index     # or --method vec
  matcalc derive '\\mathbf{y}^\\top \\log \\operatorname{softmax}(W_2 \\mathbf{x})' --wrt W_2
  matcalc read '\\frac{1}{2}\\|A\\mathbf{x} - \\mathbf{b}\\|_2^2'
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
        command.add_argument("--method", choices=tuple(METHODS), default="trace",
                             help="how the derivation is written: trace (the default), index or vec (SPEC §3)")
        _input_option(command)
        command.add_argument("--compare", metavar="ANSWER", default="",
                             help="a hand-derived answer (matcalc's language or LaTeX): is it right, and if "
                                  "not, what is the mistake? (exit 0 equal, 1 different)")
        command.add_argument("--compare-steps", metavar="FILE", default="",
                             help="a hand derivation, one 'lhs = rhs' line per step: the first line that "
                                  "does not follow from the one before (exit 0 all follow, 1 not)")
    read = commands.add_parser("read", help="how matcalc reads an input (LaTeX or its own language)",
                               description="the plain expression, and each symbol with its kind and shape")
    read.add_argument("expression", help=r'the function, e.g. "\mathbf{x}^\top A \mathbf{x}"')
    read.add_argument("--where", default="", help='declarations, e.g. "y: probability vector"')
    read.add_argument("--format", choices=("text", "json"), default="text")
    _input_option(read)
    _codegen_parser(commands)
    serve = commands.add_parser("serve", help="the web page, on this machine",
                                description="a local web page: type an expression, see every step")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1: "
                                                           "this machine only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--time-limit", type=float, default=10.0,
                       help="seconds a derivation may take before it is stopped (default 10)")
    return parser


def _input_option(command) -> None:
    """--input, the same on every command that reads an expression (SPEC §5, §11)."""
    command.add_argument("--input", choices=("text", "latex"), default=None,
                         help="text (matcalc's language) or latex; by default a backslash in the input means LaTeX")


def _codegen_parser(commands) -> None:
    summary = "a NumPy, PyTorch or JAX module that computes the answer, with a self-check"
    codegen = commands.add_parser("codegen", help=summary, description=summary, epilog=EXAMPLES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    codegen.add_argument("expression", help='the function or program, e.g. "x^T A x"')
    codegen.add_argument("--wrt", required=True, help="the symbol(s) to differentiate with respect to, or 'all'")
    codegen.add_argument("--where", default="", help='declarations, e.g. "x, y: data"')
    codegen.add_argument("--target", choices=TARGET_NAMES, default="numpy")
    codegen.add_argument("--kind", choices=("gradient", "jacobian", "hessian"), default="gradient",
                         help="gradient(s) (the default), jacobian, or hessian with a Hessian-vector product")
    codegen.add_argument("--layout", choices=("mixed", "numerator"), default=None,
                         help="as derive's: numerator gives each gradient as ∂l/∂X^T (X's shape transposed)")
    codegen.add_argument("--method", choices=tuple(METHODS), default="trace",
                         help="as derive's: the method of the steps the comments cite; the answers are equal")
    _input_option(codegen)
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


def _render(derivation, options, comparison=None) -> str:
    rendered = derivation.render(options.format, steps=not options.no_steps)
    if isinstance(rendered, str):
        return rendered
    if options.check:
        rendered["check"] = check_json(derivation, _CheckProgress())
    if comparison is not None:
        rendered[comparison[0]] = comparison[1].json()
    return json.dumps(rendered, ensure_ascii=False, indent=2)


def _comparison(derivation, options):
    """("compare" or "compare_steps", the verdict) when one was asked for, else None."""
    if options.compare_steps:
        return "compare_steps", comparison_for(derivation, steps_file=options.compare_steps, input=options.input)
    if options.compare:
        return "compare", comparison_for(derivation, options.compare, input=options.input)
    return None


# The options that take a value: the word after one of them is that value.
_VALUE_OPTIONS = ("--wrt", "--where", "--format", "--layout", "--method", "--input", "--compare", "--compare-steps",
                  "--target", "--kind", "-o", "--output")


def _expression_words_last(argv: list[str]) -> list[str]:
    """argparse reads "-tr(A)" as the unknown option -t, yet an expression
    may well start with a minus.  Every matcalc option is long (--wrt), so a
    word with one leading '-' that is not an option's value is an expression:
    move it behind "--", where argparse takes words as positional."""
    if "--" in argv:
        return argv
    # "--compare '-2 A x'": argparse would take the answer for an option; "--compare=-2 A x" it reads
    argv = [f"{word}={argv[i + 1]}" if word == "--compare" and i + 1 < len(argv) and argv[i + 1].startswith("-")
            else word for i, word in enumerate(argv)
            if not (i and argv[i - 1] == "--compare" and word.startswith("-"))]
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


class _CheckProgress:
    """Tells stderr how many gradients a check has settled, once it has run
    for more than a second (a deep network's --wrt all takes a few)."""

    def __init__(self):
        self.start, self.shown = time.monotonic(), False

    def __call__(self, done: int, total: int) -> None:
        if self.shown or time.monotonic() - self.start > 1:
            self.shown = True
            print(f"\rcheck: {done}/{total} gradients checked", end="\n" if done == total else "",
                  file=sys.stderr, flush=True)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    options = _parser().parse_args(_expression_words_last(argv))
    if options.command == "serve":
        from .web.app import serve             # the web stack loads only for the page
        return serve(options.host, options.port, options.time_limit)
    try:
        if options.command == "read":
            from .reading import read          # the reading's printers load only for this command
            reading = read(options.expression, options.where, options.input)
            print(reading.text() if options.format == "text"
                  else json.dumps(reading.json(), ensure_ascii=False, indent=2))
            return 0
        caught: list[str] = []
        kind = options.kind if options.command == "codegen" else COMMANDS[options.command]
        request = Request(options.expression, options.wrt, options.where, kind,
                          method=getattr(options, "method", "trace"), layout=getattr(options, "layout", None),
                          input=options.input)
        derivation = derivation_for(request, caught)
        for warning in caught:
            print(f"matcalc: warning: {warning}", file=sys.stderr)
        if options.command == "codegen":
            return _write_code(derivation, options)
        comparison = _comparison(derivation, options)
        print(_render(derivation, options, comparison))
        if comparison is not None and options.format != "json":
            print("\n" + comparison[1].text())
        if options.check and options.format != "json":
            error = derivation.check(progress=_CheckProgress())
            verdict = "ok" if error < CHECK_TOLERANCE else "MISMATCH"
            print(f"\ncheck: max relative error {error:.1e} vs finite differences ({verdict})")
            if not error < CHECK_TOLERANCE:
                return 1
        if comparison is not None and not comparison[1].equal:
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


def command() -> int:
    """``matcalc`` as a command (the console script, ``python -m matcalc``):
    ``main`` in a process of its own, which ends when the command does.
    What is loaded by then lives until the end, so the cycle collector is
    told to leave it alone (``gc.freeze``): its passes during the command, and
    the full one at exit, would look at every loaded object again for no
    garbage (about 15 ms of a small command, issue 24).  ``main`` itself, as
    a library or the tests call it, leaves the collector as it is (on: ``python
    -m matcalc`` turns it off while the modules load)."""
    gc.freeze()
    gc.enable()
    try:
        return main()
    finally:
        gc.freeze()


if __name__ == "__main__":
    sys.exit(command())

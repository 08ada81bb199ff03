"""Names as the user writes them: Greek letters and default kinds (SPEC §1).

One table of Greek letters serves the parser (``Φ2`` is stored as ``Phi2``),
the kinds (a lower-case Greek name is a scalar) and the printers (``Phi2``
prints as ``Φ2`` and ``\\Phi_{2}``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import ast as A

# English name → (Unicode letter, LaTeX command or None where LaTeX has none).
GREEK_LETTERS = {
    "alpha": ("α", r"\alpha"), "beta": ("β", r"\beta"), "gamma": ("γ", r"\gamma"),
    "delta": ("δ", r"\delta"), "epsilon": ("ε", r"\varepsilon"), "zeta": ("ζ", r"\zeta"),
    "eta": ("η", r"\eta"), "theta": ("θ", r"\theta"), "iota": ("ι", r"\iota"),
    "kappa": ("κ", r"\kappa"), "lambda": ("λ", r"\lambda"), "mu": ("μ", r"\mu"),
    "nu": ("ν", r"\nu"), "xi": ("ξ", r"\xi"), "omicron": ("ο", None), "pi": ("π", r"\pi"),
    "rho": ("ρ", r"\rho"), "sigma": ("σ", r"\sigma"), "tau": ("τ", r"\tau"),
    "upsilon": ("υ", r"\upsilon"), "phi": ("φ", r"\phi"), "chi": ("χ", r"\chi"),
    "psi": ("ψ", r"\psi"), "omega": ("ω", r"\omega"),
    "Alpha": ("Α", None), "Beta": ("Β", None), "Gamma": ("Γ", r"\Gamma"),
    "Delta": ("Δ", r"\Delta"), "Epsilon": ("Ε", None), "Zeta": ("Ζ", None), "Eta": ("Η", None),
    "Theta": ("Θ", r"\Theta"), "Iota": ("Ι", None), "Kappa": ("Κ", None),
    "Lambda": ("Λ", r"\Lambda"), "Mu": ("Μ", None), "Nu": ("Ν", None), "Xi": ("Ξ", r"\Xi"),
    "Omicron": ("Ο", None), "Pi": ("Π", r"\Pi"), "Rho": ("Ρ", None), "Sigma": ("Σ", r"\Sigma"),
    "Tau": ("Τ", None), "Upsilon": ("Υ", r"\Upsilon"), "Phi": ("Φ", r"\Phi"), "Chi": ("Χ", None),
    "Psi": ("Ψ", r"\Psi"), "Omega": ("Ω", r"\Omega"),
}
# Spellings that are one of the letters above.
GREEK_ALIASES = {"eps": "epsilon"}
_UNICODE_VARIANTS = {"ϵ": "eps", "ς": "sigma", "ϕ": "phi"}
# eps and epsilon are two names: they print as the two forms of the letter
# (ϵ, \epsilon and ε, \varepsilon), so a reader can tell them apart.
_ALIAS_LETTERS = {"eps": ("ϵ", r"\epsilon")}

# Letters printed as text and read as scalars; the capitals that look Latin
# (Α, Β, ...) are stored by name but printed as written in ASCII.
_PRINTED_AS_LETTER = {name for name, (_, latex) in GREEK_LETTERS.items() if latex is not None}
_FROM_UNICODE = {letter: name for name, (letter, _) in GREEK_LETTERS.items()} | _UNICODE_VARIANTS


def ascii_name(name: str) -> str:
    """``Φ2`` → ``Phi2``: Greek letters are stored by their English names."""
    if name.isascii():          # no Greek letter in it (most names): itself
        return name
    return "".join(_FROM_UNICODE.get(ch, ch) for ch in name)


@lru_cache(maxsize=4096)       # printers ask for every symbol on every line
def split_name(name: str) -> tuple[str, str]:
    """``Phi2`` → (``Phi``, ``2``), ``h_1`` → (``h``, ``_1``), ``W1`` → (``W``, ``1``):
    the letters of a name and its index (what a textbook writes as a subscript)."""
    for stem in _STEMS:
        if name.startswith(stem) and (len(name) == len(stem) or not name[len(stem)].isalpha()):
            return stem, name[len(stem):]
    if name.startswith("delta") and len(name) > len("delta"):
        # δh, stored as deltah: the user's own δ name, printed as typed (SPEC §7)
        return "delta", name[len("delta"):]
    letters = re.match(r"[^\d_]+", name)
    if letters is None:
        return name, ""
    return letters.group(0), name[letters.end():]


_STEMS = sorted((set(_PRINTED_AS_LETTER) | set(GREEK_ALIASES)), key=len, reverse=True)


def greek_stem(stem: str) -> str | None:
    """The English name of a Greek letter stem (``eps`` → ``epsilon``), or None."""
    stem = GREEK_ALIASES.get(stem, stem)
    return stem if stem in _PRINTED_AS_LETTER else None


def unicode_letter(stem: str) -> str:
    """``sigma`` → ``σ``; a stem that is no Greek letter as it is."""
    if stem in _ALIAS_LETTERS:
        return _ALIAS_LETTERS[stem][0]
    greek = greek_stem(stem)
    return GREEK_LETTERS[greek][0] if greek else stem


def latex_letter(stem: str) -> str | None:
    """``sigma`` → ``\\sigma``; None for a stem that is no Greek letter."""
    if stem in _ALIAS_LETTERS:
        return _ALIAS_LETTERS[stem][1]
    greek = greek_stem(stem)
    return GREEK_LETTERS[greek][1] if greek else None


_LOWER_GREEK = {name for name in GREEK_LETTERS if name.islower()} | set(GREEK_ALIASES)
_LOWER_LETTERS = re.compile(r"[a-z]+")


def default_kind(name: str) -> str:
    """Upper-case initial → matrix; lower-case Greek → scalar; other lower-case → vector."""
    if name[:1].isupper():
        return "matrix"
    letters = _LOWER_LETTERS.match(name)
    if letters and letters.group(0) in _LOWER_GREEK:
        return "scalar"
    return "vector"


# The error value δ_v = ∂l/∂v of a named value v (SPEC §7) is the symbol
# "δv".  User names are stored in ASCII (ascii_name), so a name that starts
# with a Greek character is never one of theirs.  The letter is δ unless the
# user took δ (or delta) for a symbol of their own, then Δ, then ε.
ERROR_LETTERS = ("δ", "Δ", "ε")


def error_letter(used_names) -> str:
    """δ, unless the user took δ (δ itself, or a name such as δh), then Δ, then ε."""
    stems = {split_name(ascii_name(name))[0] for name in used_names}
    return next((letter for letter in ERROR_LETTERS if ascii_name(letter) not in stems), "δ")


def error_name(letter: str, value: str) -> str:
    """The symbol of δ_value."""
    return letter + value


def split_error_name(name: str) -> tuple[str, str] | None:
    """``δa2`` → (``δ``, ``a2``); None for any other name."""
    if len(name) > 1 and name[0] in ERROR_LETTERS:
        return name[0], name[1:]
    return None


def display_name(name: str) -> str:
    """A name as text shows it: ``Sigma2`` → ``Σ2``, ``δmu`` → ``δμ``."""
    error = split_error_name(name)
    if error:                                   # δa2, the error value of a2 (SPEC §7)
        return error[0] + display_name(error[1])
    stem, rest = split_name(name)
    return unicode_letter(stem) + rest


def symbols_written_out(trees, predefined: dict) -> list:
    """The symbols in the order the trees show them with every bound name
    written out, each definition walked once (linear in the statements)."""
    order, expanded = {}, set()
    stack = list(reversed(trees))
    while stack:
        node = stack.pop()
        if isinstance(node, A.Symbol) and node.name in predefined:
            if node.name not in expanded:
                expanded.add(node.name)
                stack.append(predefined[node.name])
        elif isinstance(node, A.Symbol):
            order.setdefault(node.name)
        else:
            stack.extend(reversed(A.children(node)))
    return list(order)


def unused_name(preferred: str, taken) -> str:
    """``preferred`` (F, f) for a value matcalc names, or the next letter
    (G, H, …) when the user took it: ``jacobian "inv(F)" --wrt F`` is
    ∂vec(G)/∂vec(F)^T, not ∂vec(F)/∂vec(F)^T."""
    for offset in range(20):
        name = chr(ord(preferred) + offset)
        if name not in taken and name not in ("I",):
            return name
    return next(f"{preferred}{k}" for k in range(1, len(taken) + 2) if f"{preferred}{k}" not in taken)

"""What the LaTeX commands of SPEC §11 mean: one table per role."""

from __future__ import annotations

from ..names import GREEK_LETTERS

# \alpha → alpha; the variant letters are the same letter.
GREEK = {latex[1:]: name for name, (_, latex) in GREEK_LETTERS.items() if latex} | {
    "epsilon": "epsilon", "varepsilon": "epsilon", "varphi": "phi", "vartheta": "theta",
    "varrho": "rho", "varsigma": "sigma", "varpi": "pi"}

# Font commands: bold ones say the kind (a bold lower-case letter is a vector).
BOLD_FONTS = {"mathbf", "boldsymbol", "bm", "mathbold", "pmb", "vec", "textbf", "mathbfit", "bf", "bfseries"}
PLAIN_FONTS = {"mathrm", "mathit", "mathsf", "mathcal", "mathscr", "mathnormal", "textit", "textrm",
               "text", "operatorname", "operatorname*", "mathtt", "texttt", "mathbb", "rm", "it", "sf", "cal"}

# Decorations become part of the name: \hat{y} → yhat.
DECORATIONS = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde",
               "bar": "bar", "overline": "bar", "dot": "dot", "check": "check", "breve": "breve"}

# Function commands and the matcalc function they are.
FUNCTION_COMMANDS = {"exp": "exp", "log": "log", "ln": "log", "sin": "sin", "cos": "cos", "tan": "tan",
                     "tanh": "tanh", "det": "det"}
# Upright words (\operatorname{..}, \mathrm{..}, \text{..}) that are matcalc functions.
FUNCTION_WORDS = {"tr": "tr", "Tr": "tr", "trace": "tr", "softmax": "softmax", "logsoftmax": "logsoftmax",
                  "diag": "diag", "vec": "vec", "relu": "relu", "ReLU": "relu", "sigmoid": "sigma",
                  "softplus": "softplus", "logdet": "logdet", "sum": "sum", "mean": "mean", "exp": "exp",
                  "log": "log", "ln": "log", "tanh": "tanh", "sin": "sin", "cos": "cos", "tan": "tan",
                  "det": "det", "abs": "abs", "sign": "sign", "sqrt": "sqrt", "sgn": "sign",
                  "sigm": "sigma", "inv": "inv", "norm": "norm", "kron": "kron"}

# Product-level operators.
OPERATORS = {"cdot": "*", "times": "*", "ast": "*", "odot": "⊙", "circ": "⊙", "otimes": "⊗",
             "oslash": "./", "*": "*", "/": "/", "·": "*", "⊙": "⊙", "∘": "⊙", "⊗": "⊗"}

# Spacing and typesetting that carry no meaning.
IGNORED = {",", ";", ":", "!", " ", "enspace", "thinspace", "medspace", "thickspace", "negthinspace",
           "displaystyle", "textstyle", "limits", "nolimits", "nonumber", "notag", "left.", "right.",
           "mathstrut", "strut", "middle"}
SPACING_WITH_ARGUMENT = {"hspace", "hspace*", "label", "tag", "mkern", "kern", "vphantom", "phantom"}
QUADS = {"quad", "qquad"}

# Brackets: \left( … \right), \big( … \big) and their sizes.
SIZES = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
         "biggr", "Biggl", "Biggr", "bigm", "Bigm"}
OPENERS = {"(": ")", "[": "]", "\\{": "\\}", "\\lbrace": "\\rbrace", "\\lbrack": "\\rbrack",
           "\\lparen": "\\rparen"}
ABS_BARS = {"|": "|", "\\lvert": "\\rvert", "\\vert": "\\vert"}
NORM_BARS = {"\\|": "\\|", "\\lVert": "\\rVert", "\\Vert": "\\Vert", "‖": "‖"}

# Superscripts that transpose.
TRANSPOSE_MARKS = {"T", "\\top", "\\intercal", "\\mathsf{T}", "\\mathrm{T}", "\\text{T}", "\\textsf{T}",
                   "\\rm{}T", "\\sf{}T", "\\mathit{T}", "\\tt{}T", "\\mathtt{T}", "\\mathbf{T}", "\\prime", "⊤",
                   "\\t", "\\mathsf{\\tiny T}"}

# Environments and math delimiters around a formula or a program.
ENVIRONMENTS = {"aligned", "align", "align*", "equation", "equation*", "split", "gathered", "gather",
                "gather*", "multline", "multline*", "alignat", "alignat*", "eqnarray", "eqnarray*"}

# What is not a function to differentiate, with the reason.
REFUSED = {
    "arg": "an argmin or argmax is an optimisation problem, not a function to differentiate",
    "argmin": "an argmin is an optimisation problem, not a function to differentiate",
    "argmax": "an argmax is an optimisation problem, not a function to differentiate",
    "min": "a minimum over something is not a function matcalc can differentiate",
    "inf": "an infimum is not a function matcalc can differentiate",
    "sup": "a supremum is not a function matcalc can differentiate",
    "langle": "an inner product ⟨A, B⟩ is not read: write it tr(A^T B) (\\operatorname{tr}(A^\\top B))",
    "sum": "a sum over an index is not read: write it with matrices (\\mathbf{1}^\\top x for Σ_i x_i)",
    "prod": "a product over an index is not read: write it with matrices",
    "int": "an integral is not a function matcalc can differentiate",
    "partial": "this is a derivative already; write the function and ask matcalc for its derivative",
    "nabla": "this is a gradient already; write the function and ask matcalc for its gradient",
    "mathbb": "blackboard bold (an expectation or a set) is not part of a function matcalc reads",
    "in": "a membership (x ∈ ℝ^n) is a declaration: give it as --where \"x: vector\"",
    "lim": "a limit is not a function matcalc can differentiate",
    "leq": "an inequality is not a function to differentiate", "geq": "an inequality is not a function to "
    "differentiate", "le": "an inequality is not a function to differentiate",
    "ge": "an inequality is not a function to differentiate", "to": "an arrow is not part of a function",
    "mid": "a condition (x | y) is not part of a function matcalc reads",
    "sim": "a distribution (x ~ N) is not a function to differentiate",
    "propto": "a proportionality is not a function to differentiate",
    "approx": "an approximation is not a function to differentiate",
}

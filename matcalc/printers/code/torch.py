"""The PyTorch target: torch's own stable softmax, log-softmax, logsumexp,
sigmoid, logsigmoid and softplus; arrays are created on the inputs' device
in their dtype, so the module runs wherever its inputs live."""

from .common import LOGDET, ATOM, COMMUTE, KRON_APPLY, STEP, Target, array_library, call, entrywise

TORCH = Target(
    name="torch",
    imports=("import torch",),
    prefix="torch",
    templates=array_library("torch") | {
        "sum_rows": ("{0}.sum(dim=1)", ATOM, (ATOM,)), "sum_cols": ("{0}.sum(dim=0)", ATOM, (ATOM,)),
        "softmax": call("torch.softmax", "dim=0"), "log_softmax": call("torch.log_softmax", "dim=0"),
        "logsumexp": call("torch.logsumexp", "dim=0"),
        # torch.kron views its operands: a transposed one must be made contiguous first
        "kron": ("torch.kron({0}.contiguous(), {1}.contiguous())", ATOM, (ATOM, ATOM)),
        "expand_cols": ("{0}[:, None].expand({p0}, {p1})", ATOM, (ATOM,)),
        "expand_rows": ("{0}.expand({p0}, {p1})", ATOM, (ATOM,)),
    },
    functions=entrywise("torch") | {
        "sigmoid": "torch.sigmoid({0})", "log_sigmoid": "torch.nn.functional.logsigmoid({0})",
        "softplus": "torch.nn.functional.softplus({0})", "relu": "torch.relu({0})", "step": "_step({0})",
    },
    helpers={"_logdet": LOGDET.format(p="torch"), "_step": STEP.format(cast="to"), "_commute": COMMUTE.format(swap="transpose"),
             "_kron_apply": KRON_APPLY.format(moveaxis="torch.movedim", tensordot="torch.tensordot", axes="dims")},
    check_setup=("def to_array(value):",
                 "    return torch.from_numpy(numpy.asarray(value))"),
    # torch.sigmoid(2.0) is a TypeError: a Python number becomes a 0-d float64
    # tensor, which takes the dtype and device of the tensors it meets
    scalar_input="{0} = torch.as_tensor({0}, dtype=torch.float64) if isinstance({0}, (int, float)) else {0}",
    creation="dtype={like}.dtype, device={like}.device",
)

"""The JAX target: jax.numpy with jax.nn's stable softmax, log-softmax,
logsumexp, sigmoid, log-sigmoid and softplus; no Python branch on a value,
so every function is traceable by ``jax.jit``."""

from .common import LOGDET, COMMUTE, KRON_APPLY, STEP, Target, array_library, call, entrywise

JAX = Target(
    name="jax",
    imports=("import jax", "import jax.numpy as jnp"),
    prefix="jnp",
    templates=array_library("jnp") | {
        "softmax": call("jax.nn.softmax", "axis=0"), "log_softmax": call("jax.nn.log_softmax", "axis=0"),
        "logsumexp": call("jax.nn.logsumexp", "axis=0"),
    },
    functions=entrywise("jnp") | {
        "sigmoid": "jax.nn.sigmoid({0})", "log_sigmoid": "jax.nn.log_sigmoid({0})",
        "softplus": "jax.nn.softplus({0})", "relu": "jax.nn.relu({0})", "step": "_step({0})",
    },
    helpers={"_logdet": LOGDET.format(p="jnp"), "_step": STEP.format(cast="astype"), "_commute": COMMUTE.format(swap="swapaxes"),
             "_kron_apply": KRON_APPLY.format(moveaxis="jnp.moveaxis", tensordot="jnp.tensordot", axes="axes")},
    check_setup=('jax.config.update("jax_enable_x64", True)       # the check compares in float64',
                 "def to_array(value):",
                 "    return jnp.asarray(value) if not isinstance(value, float) else value"),
)

"""Calculus: differentials, names for intermediate values, the methods that
read off a derivative (trace, vec), gradient/Jacobian/Hessian strategies and
the answer forms (SPEC §2, §3)."""

# tr(X^{-1} A) wrt X, through d(X^{-1}) = -X^{-1} dX X^{-1}.
# expect: -X^{-T} A^T X^{-T}
matcalc derive "tr(X^{-1} A)" --wrt X --check

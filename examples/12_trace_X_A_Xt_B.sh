# tr(X A X^T B) wrt X (Matrix Cookbook (117)).
# X appears twice: two terms.
# expect: B^T X A^T + B X A
matcalc derive "tr(X A X^T B)" --wrt X --check

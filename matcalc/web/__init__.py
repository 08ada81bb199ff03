"""The local web page (``matcalc serve``, SPEC §9): the top layer, over the API."""

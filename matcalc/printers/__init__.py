"""One printer per output format, each a set of functions over the tree."""

"""`keras-detect serve`: a local web page and JSON API over predict and explain."""

"""One handler per operation: the wire dict in, a domain call, the wire dict out."""

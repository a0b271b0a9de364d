"""ASGI composition: the protocols, the handlers, the store and the clock wired together."""

"""The web console for responders: server-rendered pages on the API's port, acting through the same `invoke`."""

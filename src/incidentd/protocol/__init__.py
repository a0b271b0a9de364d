"""The wire: routing, parsing, validation and serialisation driven by botocore's service models."""

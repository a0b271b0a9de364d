"""The local automation engine: SSM Automation documents (schema 0.3) run step by step as durable jobs."""

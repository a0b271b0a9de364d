"""Pure rules: no SQL, no HTTP, no botocore."""

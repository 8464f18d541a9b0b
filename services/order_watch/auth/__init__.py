"""Authentication and roles: hashed bearer tokens, created and revoked from the command line."""

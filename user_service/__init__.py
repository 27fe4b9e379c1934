"""User service: registration, login and access tokens."""

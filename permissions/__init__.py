"""Permissions: the Casbin model, its async MongoDB adapter and the authorizer."""

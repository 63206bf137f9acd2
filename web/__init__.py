"""Web layer: Tornado handlers, authentication, configuration and the `oa` command line."""

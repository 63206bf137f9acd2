"""JSON API handlers, one module per resource."""

"""Domain: org units, people and posts, sessions, import and demo data."""

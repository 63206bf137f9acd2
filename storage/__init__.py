"""Storage: the MongoDB client, indexes, the object store and the embedded local servers."""

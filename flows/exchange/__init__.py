"""公文交换: dispatching a document to many units at once, receiving it, and the sender's live board."""

"""Approval engine: flow definitions, instances, tasks and actions (filled by the flow issue)."""

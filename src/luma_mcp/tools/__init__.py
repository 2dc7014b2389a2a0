"""What the agent sees: one module per tool family."""

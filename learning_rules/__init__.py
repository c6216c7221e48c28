"""learning_rules package."""

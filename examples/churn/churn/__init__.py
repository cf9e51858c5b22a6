"""A tiny churn model: logistic regression in plain Python, so the example needs no downloads."""

"""Retrieval: the passages a question's answer is looked for in."""

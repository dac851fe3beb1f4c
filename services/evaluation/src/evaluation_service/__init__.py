"""The evaluation service: what members think of the answers, and what the year adds up to."""

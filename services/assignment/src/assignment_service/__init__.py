"""The assignment service: who handles an item, by when, what they did and answered."""

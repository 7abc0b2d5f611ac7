"""Billing's queries, one module per feature; each function takes the caller's session and never commits.

The paths a billing run or a batch of payments takes are set-based: one statement per table for a whole batch
(`bulk`: the helpers those features share).
"""

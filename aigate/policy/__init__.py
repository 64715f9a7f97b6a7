"""Policy engines, the policy library, metadata, maturity."""

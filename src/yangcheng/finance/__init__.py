"""Finance scenario: risk-control decisions and identity checks."""

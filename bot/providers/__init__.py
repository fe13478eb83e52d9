"""AI providers: one module per provider, parsing kept pure and apart from HTTP."""

"""Who may read which shop (tenant login roles, the gateway role) and who read what."""

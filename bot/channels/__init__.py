"""Channel adapters: Telegram and the terminal demo, over the same engine and catalogs."""

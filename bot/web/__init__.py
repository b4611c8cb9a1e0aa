"""The aiohttp app: Telegram webhook, /healthz, /readyz and /metrics."""

"""Admin pages and their JSON API: tuning the intents while the service runs."""

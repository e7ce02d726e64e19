"""Hand-over to a person: redaction, frustration, sensitive topics and opening hours."""

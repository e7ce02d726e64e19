"""Call analytics (report and page) and spike alerts on intents and hand-over reasons."""

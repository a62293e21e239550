"""Web console: Jinja2 templates and HTMX, no build step."""

"""Notice templates (Jinja2), shipped with followup as the package followup_templates."""

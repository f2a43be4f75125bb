"""``workbench tick``: everything that is due, once: campaign occurrences, local-time waves, event-triggered
sends, journey steps."""

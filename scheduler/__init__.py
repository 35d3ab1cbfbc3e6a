"""The outside world of followup: the command line, and later the daemon, channels and feeds."""

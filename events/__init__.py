"""The domain of followup: follow-ups, their date windows and anchors, and their history.

Nothing in this package talks to a terminal, a network or a template engine; time-dependent
logic takes ``now`` as an argument.
"""

"""The answer pipeline: triage, scope, follow-ups, composing cited answers."""

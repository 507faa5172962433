"""Scale runs that print figures (never timed tests): ``hotrod bench`` and the generator bench."""

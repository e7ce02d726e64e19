"""The files admins edit (intent files and ``policy.yaml``): loaded and checked together,
hot-reloaded as one active set, edited one example at a time.

Above both understanding (``voice.intents``) and hand-over (``voice.handoff``), which each
know only their own file's schema; the checks that span both files live here.
"""

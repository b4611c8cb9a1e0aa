"""Helpline bot: a trauma-informed triage bot for survivors of image-based sexual abuse."""

__version__ = "0.1.0"

"""reply-assistant: grounded, playbook-checked reply drafting for support teams (Korean and English)."""

__version__ = "0.1.0"

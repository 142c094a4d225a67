"""casework's management commands: load_demo, verify_audit_chain, anchor_audit_chain, receive_webhooks.

May import: every other casework package (the top of the house, beside the admin).
"""

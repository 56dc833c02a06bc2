"""Governance pages for the IT administrator and the superintendent.

Training records, the audit trail, district settings and the operations
dashboard. The account services these pages use live in `portal.accounts`.
"""

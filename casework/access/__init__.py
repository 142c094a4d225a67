"""Who may log in and what each role may do: the roles as groups and the migrations'
grants (``roles``), permissions read in one query (``backends``), the locked-out login
page (``lockout``), and the demo's published credentials refused outside the demo
(``demo_credentials``).

May import: ``casework.core``.
"""

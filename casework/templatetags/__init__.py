"""The admin's template tags: the dashboard, case-list counts, the way back from a
refusal, what a notice may say, the buttons under a case form.

May import: every other casework package (the top of the house, beside the admin).
"""

"""The staff door to what every case type shares (being split by concern: see the next
commit); Django's admin autodiscovery imports this package, which registers them all."""

from casework.admin import (  # noqa: F401  (each module registers its admins)
    cases,
    downloads,  # uploaded files: the authorised download and the log of downloads
    lockouts,  # login lockouts (django-axes): read by supervisors and auditors
    partners,  # partners and their credentials: issuing keys is its own concern
    reveals,  # masked personal data: the reveal view and the log of reveals
)

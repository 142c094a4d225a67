"""Which customer a case is of: found by its identifiers, never by the name typed.

A case's keys are its wallet account number, its customer's phone (E.164, as the phone
field keeps it) and e-mail address. The account finds the customer first, then the phone;
the e-mail address finds one only when the case has neither (an e-mail complaint from a
sender not yet verified), so an address typed on a case never joins a phone to somebody
else. Keys no customer holds yet are recorded for the one found (or a new one), each key
held by one customer at most: a phone another customer holds stays theirs.

Case models keep their ``customer`` with ``CustomerLinked``: a save whose keys changed
(or a new case) finds the customer again, one indexed read, and a save that leaves them
alone costs nothing.
"""

from __future__ import annotations

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.models import Customer, CustomerIdentifier, IdentifierKind

Keys = tuple[tuple[str, str], ...]
Held = dict[tuple[str, str], CustomerIdentifier]


def normalised(kind: str, value: str | None) -> str:
    value = (value or "").strip()
    return value.lower() if kind == IdentifierKind.EMAIL else value


def keys_of(*, account_number: str = "", phone: str = "", email: str = "") -> Keys:
    """The keys that find a customer, strongest first; ("", "") pairs dropped."""
    given = {
        IdentifierKind.ACCOUNT: normalised(IdentifierKind.ACCOUNT, account_number),
        IdentifierKind.PHONE: normalised(IdentifierKind.PHONE, phone),
        IdentifierKind.EMAIL: normalised(IdentifierKind.EMAIL, email),
    }
    return tuple((str(kind), value) for kind, value in given.items() if value)


def finding(keys: Keys) -> Keys:
    """The keys that may find a customer: the e-mail address only without account and phone."""
    strong = tuple(key for key in keys if key[0] != IdentifierKind.EMAIL)
    return strong or keys


def identify(keys: Keys) -> Customer | None:
    """The customer ``keys`` name, made if none does; None for a case without keys.

    A customer who holds every key (a known caller, the usual case) is found by one read,
    which writes nothing and so needs no savepoint; only recording a new customer or key
    is one, to be retried when another case recorded it meanwhile."""
    if not keys:
        return None
    for attempt in range(3):
        held = _held(keys)
        customer = _found(keys, held)
        if customer is not None and all(key in held for key in keys):
            return customer
        try:
            with transaction.atomic():
                return _record(keys, held, customer)
        except IntegrityError:
            # Another case made a customer for one of these keys meanwhile: find theirs.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _held(keys: Keys) -> Held:
    return {
        (row.kind, row.value): row
        for row in CustomerIdentifier.objects.select_related("customer").filter(_any_of(keys))
    }


def _found(keys: Keys, held: Held) -> Customer | None:
    return next((held[key].customer for key in finding(keys) if key in held), None)


def _record(keys: Keys, held: Held, customer: Customer | None) -> Customer:
    """The keys nobody held recorded for ``customer`` (a new one if None)."""
    if customer is None:
        customer = Customer.objects.create()
    new = [
        CustomerIdentifier(customer=customer, kind=kind, value=value)
        for kind, value in keys
        if (kind, value) not in held
    ]
    if new:
        CustomerIdentifier.objects.bulk_create(new)
    return customer


def _any_of(keys: Keys) -> Q:
    q = Q()
    for kind, value in keys:
        q |= Q(kind=kind, value=value)
    return q


def known_customer_id(keys: Keys) -> int | None:
    """The id of the customer ``keys`` name, as ``identify`` would find them (the account
    first, then the phone; the e-mail address only alone), or None: a search, which makes
    nothing. One indexed read."""
    keys = finding(keys)
    if not keys:
        return None
    found = {
        (kind, value): customer_id
        for kind, value, customer_id in CustomerIdentifier.objects.filter(_any_of(keys)).values_list(
            "kind", "value", "customer_id"
        )
    }
    return next((found[key] for key in keys if key in found), None)


def customer_for(*, account_number: str = "", phone: str = "") -> Customer | None:
    """The customer an account number or a phone names, or None: a search, which makes nothing."""
    keys = keys_of(account_number=account_number, phone=phone)
    if not keys:
        return None
    found = CustomerIdentifier.objects.select_related("customer").filter(_any_of(keys))
    by_key = {(row.kind, row.value): row.customer for row in found}
    return next((by_key[key] for key in keys if key in by_key), None)


class CustomerLinked:
    """A case model's ``customer``, kept by its keys: the model has a nullable ``customer``
    foreign key to ``casework.Customer`` and says what its keys are (``customer_keys``).

    A new case finds its customer on its first save. A model naming ``customer_key_fields``
    finds it again on a save whose keys changed (one indexed read); a save that leaves them
    alone costs nothing. A model whose cases never change customer (the account of an
    account request, the complaint of a refund case) names none. Retention sets
    ``customer_fixed`` on a case it pseudonymises: its customer stays.
    """

    customer_key_fields: tuple[str, ...] = ()

    def customer_keys(self) -> Keys:
        raise NotImplementedError

    def found_customer(self) -> Customer | None:
        """The customer this case's keys name (made if none does)."""
        return identify(self.customer_keys())

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if cls.customer_key_fields:
            loaded = instance.__dict__
            if all(cls._meta.get_field(name).attname in loaded for name in cls.customer_key_fields):
                instance._linked_keys = instance.customer_keys()
        return instance

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        keys_may_change = self.customer_key_fields and (
            update_fields is None or set(update_fields) & set(self.customer_key_fields)
        )
        relinked = (self._state.adding or keys_may_change) and self.link_customer()
        if relinked and update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "customer"}
        super().save(*args, **kwargs)

    def link_customer(self) -> bool:
        """Find the customer again if the keys changed; True when ``customer`` changed."""
        if getattr(self, "customer_fixed", False):
            return False
        keys = self.customer_keys() if self.customer_key_fields else None
        if self._state.adding and self.customer_id is not None:  # given by whoever made the case
            self._linked_keys = keys
            return False
        unchanged = self.customer_id is not None and keys == getattr(self, "_linked_keys", None)
        if unchanged and not self._state.adding:
            return False
        self._linked_keys = keys
        customer = self.found_customer()
        changed = (customer.pk if customer else None) != self.customer_id
        self.customer = customer
        return changed


def customer_field():
    """The ``customer`` foreign key of a ``CustomerLinked`` case model: kept, never typed."""
    return models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
    )

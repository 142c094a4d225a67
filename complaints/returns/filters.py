"""The complaint list's filter a return's figure links to: it reads the figure's
parameters (``rt_measure``, ``rt_from``, ``rt_to``, ``rt_regime`` and the narrowing ones,
see ``complaints.returns.measures.figure_params``) and asks the very condition the return
counted by, so the list holds exactly the complaints the figure counts."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.sla.regimes import regime_by_code
from complaints.returns import measures as m

NAMES = ("regime", "measure", "from", "to", "bucket", "band", "outcome", "redress", *m.DIMENSIONS)
PARAMETERS = tuple(m.PREFIX + name for name in NAMES)


class ReturnFigureFilter(admin.ListFilter):
    title = _("return figure")
    template = "admin/filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.used: dict[str, str] = {}
        for parameter in PARAMETERS:
            if parameter in params:
                value = params.pop(parameter)
                self.used[parameter.removeprefix(m.PREFIX)] = value[-1] if isinstance(value, list) else value

    def has_output(self) -> bool:
        return bool(self.used)

    def expected_parameters(self):
        return list(PARAMETERS)

    def queryset(self, request, queryset):
        if not self.used:
            return queryset
        try:
            regime = regime_by_code(self.used["regime"])
            zone = m.zone_of(regime)
            condition = m.figure_q(self.used, regime, zone)
        except Exception as error:  # a hand-edited address: say so, as the admin does
            raise IncorrectLookupParameters(error) from error
        return m.with_measures(queryset, zone).filter(m.regime_q(regime)).filter(condition)

    def choices(self, changelist):
        described = ", ".join(f"{name}={value}" for name, value in self.used.items() if name != "regime")
        yield {
            "selected": True,
            "query_string": changelist.get_query_string(remove=list(PARAMETERS)),
            "display": gettext("%(figure)s (regime %(regime)s); click to clear")
            % {"figure": described, "regime": self.used.get("regime", "")},
        }

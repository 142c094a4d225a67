# ruff: noqa: RUF002
"""The returns a regulator or the public asks for, counted from the complaints in the
database (issue 17, item 4). Each return is a function of ``(period, regime)`` that
aggregates with GROUP BY and conditional counts and sums, never by walking the complaints
in Python, and answers a plain :class:`~complaints.returns.structure.Return` (its period,
regime, definitions, tables and totals) that the admin page, the CSV and the XLSX all render:

- ``monthly``: the monthly statistics (received, closed, open at the start and the end, by
  business type × cause × channel; timeliness buckets; upheld rate; redress paid);
- ``disclosure``: the annual public disclosure of a payment institution (非银行支付机构网络支付业务管理办法
  art. 28), also as a printable page;
- ``fca``: the FCA-style complaints return (DISP 1.10) on the regime's business calendar;
- ``cfpb``: the CFPB-shaped export, one row per complaint, streamed.

``measures`` holds every condition a figure counts by; ``filters`` asks the same conditions
on the complaint list, so a figure's link lists exactly the complaints it counts.
``periods`` parses a period; ``files`` writes CSV and XLSX; ``views`` and ``urls`` are the
admin pages at ``/admin/returns/``.

May import: ``casework.core``, ``casework.models``, ``casework.sla``, ``casework.supervision``,
``casework.admin``, ``complaints.models``.
"""

"""Visit pages, one module per part: agenda and care (agenda.py, care.py, campaigns.py), the log and KPIs
(log.py, kpis.py), surveys (surveys.py, public.py)."""

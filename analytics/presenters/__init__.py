"""What the analytics pages show, made from the figures the selectors read.

The views parse the request and read the figures; these modules turn them into what the
templates print: `tiles` (the KPI tiles), `tables` (every table, HTML and CSV from one
definition), `charts` (the dashboard's chart data and the report's SVG), `report` (the
management report's sentences and small tables), with `formatting` and `links` shared by
all of them.
"""

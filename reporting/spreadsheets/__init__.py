"""Spreadsheet import and export of registers (DESIGN.md, "Contracts").

- ``columns``: the column names both directions use;
- ``reading``: safe parsing of .xlsx and .csv into rows keyed by column (no formulas, no guessing
  of encodings, size and row limits);
- ``importing``: every row validated into a plan (create / update / unchanged per ref), applied
  all-or-nothing through ``registers.services.risks``;
- ``exporting``: a register's rows now or as it stood at a past moment (from history), written as
  .xlsx or .csv with formula injection neutralised.
"""

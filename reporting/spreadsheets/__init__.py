"""Spreadsheet import and export of registers (DESIGN.md, "Contracts").

- ``columns``: the column names both directions use;
- ``reading``: safe parsing of .xlsx and .csv into rows keyed by column (no formulas, no guessing
  of encodings, size and row limits);
- ``importing``: every row validated into a plan (create / update / unchanged per ref), applied
  all-or-nothing through ``registers.services.risks``;
- ``exporting``: a register's rows now or as it stood at a past moment (from history), written as
  .xlsx or .csv with formula injection neutralised;
- ``template``: a blank workbook of the import columns with drop-down lists (data validation) of
  the organisation's registers, categories, members, responses and the register's scheme levels.

Rows go to the register their ``register`` column names (the command's ``--register``, or the
import page's register, when empty); an existing risk is updated where it is and never moved.
"""

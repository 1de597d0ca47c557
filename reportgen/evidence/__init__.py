"""The evidence tracker and its round trip.

The RACI workbook's Evidence sheet is where a team tracks the evidence of each control
(status, people, dates, links, notes). ``reportgen build --evidence PATH`` reads an earlier
workbook back (``read``, ``load``), carries what the team recorded into the new matrix
(``carry``), and from there into the new workbook (``sheet``), the PDF, summary.md and
``reportgen diff`` (``report``, ``changes``). ``vocabulary`` holds the words all of them use.
"""

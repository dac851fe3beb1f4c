"""The annual report (提案办理情况通报), generated from the statistics projection.

:mod:`.document` gathers the figures and writes the Chinese text in the structure of the
seeds' reports; :mod:`.charts`, :mod:`.html`, :mod:`.pdf` and :mod:`.tables` render it as
inline-SVG HTML, PDF (reportlab, CID font, no font files) and XLSX / CSV tables.
"""

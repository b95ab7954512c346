"""Reports: Markdown, self-contained HTML, JSON data and plots for analyses and runs.

``tncost report SPEC --out DIR`` (see :mod:`tncost.report.cli`) and
:func:`write_report` write a report folder; :mod:`tncost.report.plots` draws
each plot on its own; ``python -m tncost.report.gallery reports/`` rebuilds
the checked-in gallery.
"""

from .render import REPORT_FILES, build_report, save_report, write_report

__all__ = ["REPORT_FILES", "build_report", "save_report", "write_report"]

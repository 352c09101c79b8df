"""What a run leaves behind: the HTML report, its figures and tables, and the output
folder with results.json and the CSV files.

The subpackage reads a finished :class:`~psychometrics.pipeline.ValidationResult` and
computes nothing of its own; it never imports the pipeline (calls go one way:
``cli`` -> ``pipeline`` -> statistics, and ``cli``/``ValidationResult.write`` -> ``report``).

- :mod:`~psychometrics.report.html`: the self-contained report and its tables;
- :mod:`~psychometrics.report.figures`: the figures, as inline SVG;
- :mod:`~psychometrics.report.outputs`: the output folder, written atomically.
"""

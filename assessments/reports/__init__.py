"""Documents made from an assessment: the PDF report and the question letter (質問書)."""

"""Reports: the Lab report and the Hub's annual report, as a page (with a print stylesheet), as a
PDF rendered from the same HTML, and the Hub figures as CSV and XLSX. Reports only read."""

"""Exports: one registry of formats (formats), one DOCX writer (docx), one Markdown reader and
writer (markdown), and what uses them: session notes, material versions and action plans."""

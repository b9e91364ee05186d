"""A load and soak test of the app, over loopback HTTP only: ``python -m explainer.loadtest``.

A tool beside the topics (no tab): see ``__main__.py`` for the command line, ``mix.py`` for the
visitors' behaviour, ``report.py`` for the table it prints.
"""

"""Internals of the ``choice-workflow`` command (:mod:`choice_workflow.cli`).

One module per group of commands (``program``, ``audit``, ``db``, ``diagram``) and two
shared ones: ``core`` (errors, exit codes, options, opening stores) and ``output``
(rich tables, JSON documents, progress on a terminal).
"""

"""Data that migrations load (regions, industries, programmes, indicator catalogue…) for transactional tests.

A transactional test (browser tests, tests that open second connections) flushes the database when it
ends, taking that data with it; the next one replays the project's data migrations first.
"""

from __future__ import annotations


def replay_data_migrations() -> None:
    """Run, in migration order, every RunPython of the project's own apps against the current models."""
    from django.apps import apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import RunPython

    loader = MigrationLoader(connection)
    nodes = []
    for leaf in loader.graph.leaf_nodes():
        for node in loader.graph.forwards_plan(leaf):
            if node not in nodes:
                nodes.append(node)
    for app_label, name in nodes:
        if not apps.get_app_config(app_label).name.startswith("industrybrain."):
            continue
        for operation in loader.graph.nodes[(app_label, name)].operations:
            if isinstance(operation, RunPython):
                # One transaction per operation, as migrate does: PostgreSQL refuses DDL (an index) in a
                # transaction that still has deferred foreign-key checks from earlier inserts.
                with connection.schema_editor() as editor:  # atomic per operation, on both databases
                    operation.code(apps, editor)


def restore_if_flushed() -> None:
    from industrybrain.core import calendar
    from industrybrain.core.models import Region

    if not Region.objects.exists():
        replay_data_migrations()
        calendar.invalidate()

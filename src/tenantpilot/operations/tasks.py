"""The task that carries an operation run to a worker (django.tasks, django-tasks-db backend)."""

from __future__ import annotations

from django.tasks import TaskContext, task

from .runner import run_operation


@task(takes_context=True)
def operation_run_task(context: TaskContext, run_id: int) -> None:
    """Run the operation run ``run_id``; the worker id is recorded on the run."""
    worker_ids = context.task_result.worker_ids
    run_operation(run_id, worker_id=worker_ids[-1] if worker_ids else "")

"""The status enums of instances, node members and tasks, with the only transitions allowed.

Every status change in the engine goes through `move`, so a task can never, say, be approved
after it was cancelled: the transition table refuses it and the caller answers 409.
"""

from __future__ import annotations

from enum import StrEnum

from oa.errors import Conflict


class InstanceStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class TaskStatus(StrEnum):
    ACTIVE = "active"  # in someone's 待办
    WAITING = "waiting"  # suspended until a countersigner added before its holder has acted (加签)
    DONE = "done"  # acted on: approved, signed off, read, submitted, or returned
    CANCELLED = "cancelled"  # no longer needed: the node finished without it, the flow was returned or ended
    TRANSFERRED = "transferred"  # handed to someone else (转办); their new task carries on
    WITHDRAWN = "withdrawn"  # its holder took their action back (撤回); a fresh task replaced it


TASK_TRANSITIONS: dict[TaskStatus, set[TaskStatus]] = {
    TaskStatus.ACTIVE: {TaskStatus.DONE, TaskStatus.WAITING, TaskStatus.CANCELLED, TaskStatus.TRANSFERRED},
    TaskStatus.WAITING: {TaskStatus.ACTIVE, TaskStatus.CANCELLED},
    TaskStatus.DONE: {TaskStatus.WITHDRAWN},
    TaskStatus.CANCELLED: set(),
    TaskStatus.TRANSFERRED: set(),
    TaskStatus.WITHDRAWN: set(),
}

INSTANCE_TRANSITIONS: dict[InstanceStatus, set[InstanceStatus]] = {
    InstanceStatus.RUNNING: {InstanceStatus.COMPLETED, InstanceStatus.TERMINATED},
    InstanceStatus.COMPLETED: set(),
    InstanceStatus.TERMINATED: set(),
}


class MemberStatus(StrEnum):
    WAITING = "waiting"  # its turn has not come (sequential order, or the 主办 after its 协办)
    ACTIVE = "active"
    DONE = "done"
    CANCELLED = "cancelled"


def check_task_move(current: str, wanted: TaskStatus, task_id: str) -> None:
    if wanted not in TASK_TRANSITIONS[TaskStatus(current)]:
        raise Conflict(f"task {task_id} is {current}; it cannot become {wanted}", code="task_not_active",
                       task_status=current)


def check_instance_move(current: str, wanted: InstanceStatus, instance_id: str) -> None:
    if wanted not in INSTANCE_TRANSITIONS[InstanceStatus(current)]:
        raise Conflict(f"flow {instance_id} is {current}; it cannot become {wanted}", code="flow_not_running",
                       instance_status=current)

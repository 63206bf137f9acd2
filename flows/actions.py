"""The flow engine as one entry point for its callers (handlers, the exchange, the scheduler).

The work is done by `TaskActions` (flows/task_actions.py), `InstanceActions`
(flows/instance_actions.py) and `AutoRunner` (flows/auto_runner.py), built on one shared
`FlowDeps`; this class only wires them and names their actions. It is the only place that
publishes flow events, through those three.
"""

from __future__ import annotations

from datetime import timedelta

from flows.auto_runner import AutoRunner
from flows.auto_steps import AutoSteps
from flows.calendar import CalendarStore
from flows.catalog import FlowCatalog
from flows.delegations import DelegationService
from flows.flow_base import Clock, FlowDeps
from flows.handover import HandOver
from flows.instance_actions import InstanceActions
from flows.task_actions import TaskActions
from flows.task_urge import SupervisedUrge
from oa.clock import utcnow
from oa.directory import Directory
from oa.documents import DocumentService
from oa.orgs import OrgService
from storage.mongo import Mongo


class FlowService:
    def __init__(self, mongo: Mongo, catalog: FlowCatalog, orgs: OrgService, documents: DocumentService,
                 delegations: DelegationService, calendars: CalendarStore, auto_steps: AutoSteps,
                 urge_interval: timedelta, clock: Clock = utcnow) -> None:
        self.deps = FlowDeps(mongo, catalog, orgs, documents, delegations, calendars, urge_interval, clock)
        self.runner = AutoRunner(self.deps, auto_steps)
        self.task_actions = TaskActions(self.deps, self.runner)
        self.instance_actions = InstanceActions(self.deps, self.runner, self.task_actions)
        self.handover = HandOver(self.deps, self.task_actions)
        # Flows --------------------------------------------------------------------------------
        self.do_start = self.instance_actions.do_start
        self.start_on_received = self.instance_actions.start_on_received  # flows/exchange/ports.py
        self.do_urge = self.instance_actions.do_urge
        self.do_terminate = self.instance_actions.do_terminate
        self.do_urge_task = SupervisedUrge(self.deps).do_urge_task  # 督办 (flows/supervision.py)
        # Tasks --------------------------------------------------------------------------------
        self.do_approve = self.task_actions.do_approve
        self.do_disagree = self.task_actions.do_disagree
        self.do_return = self.task_actions.do_return
        self.do_transfer = self.task_actions.do_transfer
        self.do_add_signers = self.task_actions.do_add_signers
        self.do_withdraw = self.task_actions.do_withdraw
        self.open_task = self.task_actions.open_task
        self.return_targets = self.task_actions.return_targets
        # 批量移交 ------------------------------------------------------------------------------
        self.do_hand_over = self.handover.do_hand_over
        self.open_tasks_of = self.handover.open_tasks_of
        # Automatic steps ----------------------------------------------------------------------
        self.run_auto = self.runner.run_auto
        self.resume_pending = self.runner.resume_pending
        self.get_instance = self.runner.get_instance

    @property
    def clock(self) -> Clock:
        return self.deps.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.deps.clock = clock

    @property
    def directory(self) -> Directory:
        return self.deps.orgs.directory

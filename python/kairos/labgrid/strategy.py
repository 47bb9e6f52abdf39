# SPDX-License-Identifier: MIT
"""KairosStrategy: a board with Kairos taken from off to every VM in a
known state, restored from its golden checkpoint slot (docs/labgrid.md)."""
import enum

import attr
from labgrid.factory import target_factory
from labgrid.step import step
from labgrid.strategy.common import Strategy, StrategyError

from .driver import KairosError


class Status(enum.Enum):
    unknown = 0
    off = 1
    hypervisor = 2  # Kairos answers on its control channel
    ready = 3       # every VM restored from its golden slot


@target_factory.reg_driver
@attr.s(eq=False)
class KairosStrategy(Strategy):
    """off -> hypervisor -> ready.

    hypervisor: the board powered on and KairosDriver active (control
    mode). ready: each VM of @golden restored from its slot; a VM whose
    slot holds no image of it (the first time) boots cold, is waited for
    until a line of it matches its @ready pattern, and is checkpointed
    into the slot. Going to ready again restores them again.

    Args:
        golden (dict): VM name -> slot number of its golden image
        ready (dict): VM name -> regex of the line that says it is ready
            to be checkpointed (e.g. its shell's prompt)
        boot_timeout (float): seconds a cold boot may take to get there
    """
    bindings = {
        "power": "PowerProtocol",
        "kairos": "KairosDriver",
    }
    golden = attr.ib(factory=dict, validator=attr.validators.instance_of(dict))
    ready = attr.ib(factory=dict, validator=attr.validators.instance_of(dict))
    boot_timeout = attr.ib(default=300.0, converter=float)
    status = attr.ib(default=Status.unknown)

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        #: per VM: 'restored' or 'cold' (how it got ready the last time)
        self.how = {}
        #: per VM: Kairos's answer to the last restore or checkpoint
        self.timing = {}

    @step(args=["status"])
    def transition(self, status, *, step):  # pylint: disable=redefined-outer-name
        if not isinstance(status, Status):
            status = Status[status]
        if status == Status.unknown:
            raise StrategyError(f"can not transition to {status}")
        if status == self.status and status != Status.ready:
            step.skip("nothing to do")
            return
        if status == Status.off:
            self.target.deactivate(self.kairos)
            self.target.activate(self.power)
            self.power.off()
        elif status == Status.hypervisor:
            self.transition(Status.off)  # pylint: disable=missing-kwoa
            self.power.on()
            self.target.activate(self.kairos)
        elif status == Status.ready:
            if self.status not in (Status.hypervisor, Status.ready):
                self.transition(Status.hypervisor)  # pylint: disable=missing-kwoa
            for vm, slot in self.golden.items():
                self._make_ready(vm, int(slot))
        else:
            raise StrategyError(
                f"no transition found from {self.status} to {status}")
        self.status = status

    def _holds(self, vm, slot):
        """Slot @slot holds an image of @vm."""
        for s in self.kairos.slots():
            if s["slot"] == slot:
                return s["state"] == "used" and s["vm"] == vm
        raise KairosError(f"golden slot {slot} of VM {vm}: Kairos has no "
                          f"such slot (has {len(self.kairos.slots())})", 3)

    def _make_ready(self, vm, slot):
        self.kairos.check_vm(vm)
        if self._holds(vm, slot):
            self.timing[vm] = self.kairos.restore(vm, slot)
            self.how[vm] = "restored"
            return
        if vm not in self.ready:
            raise StrategyError(f"VM {vm}: slot {slot} is empty and no "
                                f"'ready' pattern says when to checkpoint "
                                f"it")
        self.kairos.expect(vm, self.ready[vm], timeout=self.boot_timeout)
        self.timing[vm] = self.kairos.checkpoint(vm, slot)
        self.how[vm] = "cold"

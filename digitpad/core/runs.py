"""A run's record: what the window's hub knows about one run, from start to outcome.

Plain values, no Qt: the hub creates and updates the records, the tabs and widgets show
them. A record is matched to everything about its run (the training process's reports,
the model it saved, the model once loaded) by its ``id``, never by file paths.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from digitpad.core.comparison import Comparison
from digitpad.core.config import TrainConfig
from digitpad.core.reports import BatchReport, EpochReport, RunOutcome

# A run's state, in the order a run goes through them.
STARTING = "starting"            # sent to the training process, no report yet
TRAINING = "training"
STOPPING = "stopping"            # Stop was asked; the run ends after its batch
NOT_RESPONDING = "not responding"  # no report for a while; Stop ends the process
SAVING = "saving"                # measured on the test set and saved
FINISHED = "finished"            # completed, or stopped with its best weights saved
FAILED = "failed"
RUNNING = (STARTING, TRAINING, STOPPING, NOT_RESPONDING, SAVING)

# What became of a finished run's model.
ACTIVE = "active"          # no worse than the model it replaced, made active
OFFERED = "offered"        # worse, or stopped early: the user may still use it
NOT_LOADED = "not loaded"  # saved, but it could not be loaded
UNSAVED = "not saved"      # its folder refused it: kept elsewhere (outcome.unsaved) to save
UNCHANGED = "unchanged"    # the run left the model as it was (nothing to teach): none saved


@dataclasses.dataclass(eq=False)
class Run:
    """One run of this session.

    Attributes
    ----------
    id : int
        Unique in the session; the training process's reports carry it.
    kind : str
        What the run does (``core.link.JOB_KINDS``): "train" builds a model from scratch.
    config : TrainConfig
    save_path : Path
        Where the model will be saved (decided by the hub when the run starts).
    started : float
        ``time.time()`` at the start.
    state : str
        One of this module's states (``RUNNING`` while it runs, then FINISHED or FAILED).
    epochs : list of EpochReport
    last_batch : BatchReport or None
    outcome : RunOutcome or None
        How it ended, once FINISHED.
    message, details : str
        Why it failed, for the user, and the training process's log behind "Details".
    decision : str
        What became of the finished model: ACTIVE, OFFERED, NOT_LOADED, UNSAVED or
        UNCHANGED ("" until known).
    comparison : Comparison or None
        The model against the one that was active when it finished.
    """

    id: int
    config: TrainConfig
    save_path: Path
    started: float
    kind: str = "train"
    state: str = STARTING
    epochs: list[EpochReport] = dataclasses.field(default_factory=list)
    last_batch: BatchReport | None = None
    outcome: RunOutcome | None = None
    message: str = ""
    details: str = ""
    decision: str = ""
    comparison: Comparison | None = None

    @property
    def is_running(self) -> bool:
        return self.state in RUNNING

    @property
    def path(self) -> Path | None:
        """The saved model, once the run has one."""
        return self.outcome.path if self.outcome is not None else None

    @property
    def card(self) -> dict:
        return self.outcome.card if self.outcome is not None else {}

    @property
    def test_accuracy(self) -> float | None:
        return self.outcome.test_accuracy if self.outcome is not None else None

    @property
    def stopped(self) -> bool:
        return self.outcome is not None and self.outcome.stopped

    @property
    def status(self) -> str:
        """The run's state in a few words, for a table."""
        if self.state != FINISHED:
            return self.state
        if self.decision == UNSAVED:
            return "not saved"
        if self.decision == UNCHANGED:
            return "finished, model unchanged"
        if self.path is None:
            return "stopped (nothing kept)"
        if self.decision == NOT_LOADED:
            return "saved, not loaded"
        prefix = "stopped" if self.stopped else "finished"
        if self.decision == ACTIVE:
            return f"{prefix}, active"
        if self.decision == OFFERED and not self.stopped:
            return f"{prefix}, not used"
        return prefix
